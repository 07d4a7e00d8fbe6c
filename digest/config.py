"""Loading and validating config.toml.

``load_config(path)`` returns a :class:`Config` or raises :class:`ConfigError`
with a one-line message naming the file, the key (or line) and what to fix.
"""

from __future__ import annotations

import math
import sys
from dataclasses import field
from pathlib import Path
from typing import Any

from digest import paths
from digest.errors import ConfigError, value_error_text
from digest.records import dataclass
from digest.sources import KINDS
from digest.sources.calendar import SCHEDULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# The one type vocabulary of config.toml: a Python type (int, str, bool, list, dict),
# NUMBER (an int or a float, never a boolean) or STR_OR_LIST (a string or a list of strings).
NUMBER = (int, float)
STR_OR_LIST = "str_or_list"

# Allowed keys and their types, section by section. A value of None means
# "a table of user-chosen keys" validated by its own function below; OWNED means
# the section belongs to a higher layer, whose check function validates it
# (``digest.app.load_config`` runs it: [email] -> digest.mail.settings.check_email,
# [similarity] -> digest.ranking.similarity.check_similarity, [matching] and [abbreviations]
# -> digest.ranking.score.check_matching / check_abbreviations, [learning] ->
# digest.ranking.feedback.check_learning, [triage] -> digest.triage.settings.check_triage,
# [semantic] -> digest.ranking.semantic.check_semantic).
OWNED = "owned"
SECTIONS: dict[str, Any] = {
    "interests": None,
    "weights": {"title": NUMBER, "abstract": NUMBER, "authors": NUMBER, "org": NUMBER},
    "authors": None,
    "orgs": None,
    "show": {"limit": int, "min_score": NUMBER, "unmatched": str, "cross_lists": str},
    "sources": None,
    "fetch": {"timeout": NUMBER, "stale_days": int, "user_agent": str},
    "store": {"lock_timeout": NUMBER},
    "email": OWNED,
    "similarity": OWNED,
    "matching": OWNED,
    "abbreviations": OWNED,
    "learning": OWNED,
    "triage": OWNED,
    "semantic": OWNED,
}
UNMATCHED = ("hide", "show")  # [show] unmatched
CROSS_LISTS = ("show", "fold", "hide")  # [show] cross_lists
SOURCE_KEYS = {"path": str, "url": str, "kind": str, "enabled": bool, "calendar": str}
TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
              list: "a list", dict: "a table"}


def _type_name(expected: Any) -> str:
    if expected is NUMBER:
        return "a number"
    if expected is STR_OR_LIST:
        return "a string or a list of strings"
    return TYPE_NAMES.get(expected, getattr(expected, "__name__", str(expected)))


def got(value: Any) -> str:
    """How an unexpected value is named in an error: ``string 'x'``, ``boolean true``, ..."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, NUMBER) and not isinstance(value, bool) and not _finite(value):
        digits = len(str(abs(value))) if isinstance(value, int) else 0
        shown = f"{value:g}" if isinstance(value, float) or digits <= 20 else f"an integer of {digits} digits"
        return f"{shown} (a number must be finite, at most {MAX_NUMBER:g} in size)"
    return f"{type(value).__name__} {value!r}"


MAX_NUMBER = 1e15  # no weight, score, timeout or share needs more; sums of such never overflow to inf


def _finite(value: float) -> bool:
    """A number a float can hold, and one no sum of scores can overflow: at most MAX_NUMBER in
    size (TOML has nan and inf, and integers of any length: 1e400 written out is one; weights
    of 1e308 added up to inf, "Infinity" in --format json, which is not JSON)."""
    try:
        return math.isfinite(value) and abs(value) <= MAX_NUMBER
    except OverflowError:
        return False


def _is(value: Any, expected: Any) -> bool:
    if expected is STR_OR_LIST:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if expected is NUMBER or expected is float:  # TOML's nan and inf are not numbers a weight can be
        return isinstance(value, NUMBER) and not isinstance(value, bool) and _finite(value)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


@dataclass
class Source:
    name: str
    path: str | None = None
    url: str | None = None
    kind: str | None = None
    enabled: bool = True
    calendar: str | None = None  # when it publishes (sources.calendar.SCHEDULES, "none"); None: from the URL


@dataclass
class Config:
    path: Path
    is_default: bool = False
    interests: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(
        default_factory=lambda: {"title": 2.0, "abstract": 1.0, "authors": 1.0, "org": 1.0}
    )
    authors: dict[str, float] = field(default_factory=dict)
    orgs: dict[str, float] = field(default_factory=dict)
    limit: int = 20
    min_score: float = 0.0
    unmatched: str = "hide"  # papers that matched none of the interests: "hide" or "show"
    cross_lists: str = "show"  # papers announced as arXiv cross-lists: "show", "fold" or "hide"
    sources: list[Source] = field(default_factory=list)
    fetch_timeout: float = 30.0
    stale_days: int = 3
    user_agent: str | None = None
    lock_timeout: float = 10.0
    email: dict[str, Any] = field(default_factory=dict)
    similarity: dict[str, Any] = field(default_factory=dict)
    matching: dict[str, Any] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)
    learning: dict[str, Any] = field(default_factory=dict)
    triage: dict[str, Any] = field(default_factory=dict)
    semantic: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class Checker:
    """Checks a config's values, raising one-line ConfigErrors that name the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> ConfigError:
        return ConfigError(f"{where}: {what}", path=self.path)

    def table(self, where: str, value: Any) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, got {got(value)}")
        return value

    def keys(self, where: str, table: dict, allowed: dict[str, Any]) -> None:
        for key, value in table.items():
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                raise self.fail(f"{where}.{key}" if where else key,
                                f"unknown key (expected one of: {hint})")
            expected = allowed[key]
            if isinstance(expected, dict) or (expected in (None, OWNED) and not where):
                expected = dict  # a section: must be a table
            if expected is not None and not _is(value, expected):
                raise self.fail(f"{where}.{key}" if where else key,
                                f"must be {_type_name(expected)}, got {got(value)}")

    def owned(self, name: str, table: Any, allowed: dict[str, Any]) -> dict:
        """The start of every owned section's check: a table of known keys and types, copied, with
        its ``tags`` (when it has them) normalised."""
        table = self.table(name, table)
        self.keys(name, table, allowed)
        out = dict(table)
        if "tags" in table:
            out["tags"] = self.tag_list(f"{name}.tags", table["tags"])
        return out

    def tag_list(self, where: str, value: list) -> list[str]:
        """A list of tag names (``[similarity] tags``, ``[learning] tags``), normalised."""
        from digest.tags import InvalidTag, normalize_tag

        tags: list[str] = []
        for i, t in enumerate(value):
            if not isinstance(t, str):
                raise self.fail(f"{where}[{i}]", f"must be a tag name (a string), got {t!r}")
            try:
                tags.append(normalize_tag(t))
            except InvalidTag as exc:
                raise self.fail(f"{where}[{i}]", str(exc)) from None
        return tags

    def weights(self, where: str, table: Any) -> dict[str, float]:
        table = self.table(where, table)
        out: dict[str, float] = {}
        for key, value in table.items():
            if not _is(value, NUMBER):
                raise self.fail(f'{where}."{key}"', f"weight must be a number, got {got(value)}")
            if not _has_word(key):
                raise self.fail(f'{where}."{key}"', "term must contain a word")
            out[key] = float(value)
        return out


def _has_word(term: str) -> bool:
    """Whether a term has a word to match in one of its spellings ("a | b", "prefix*"): "**",
    "..." or "(.*)" have none and would match nothing, silently."""
    if any(map(str.isalnum, term)):  # (the common case, without splitting every term's spellings:
        return True  # ~50 us a term, 5 % of a 100-interest `show`)
    from digest.words import phrase_words

    return any(phrase_words(alt.strip().rstrip("*"))[0] for alt in term.split("|"))


def parse_config(text: str, path: Path, *, is_default: bool = False) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None
    except ValueError as exc:  # tomllib passes Python's refusal of an integer of > 4,300 digits on
        raise ConfigError(f"invalid TOML: {value_error_text(exc)}", path=path) from None
    check = Checker(path)
    check.keys("", raw, SECTIONS)
    cfg = Config(path=path, is_default=is_default, raw=raw)
    for name, allowed in SECTIONS.items():
        if name in raw and isinstance(allowed, dict):
            check.keys(name, check.table(name, raw[name]), allowed)
    cfg.interests = check.weights("interests", raw.get("interests", {}))
    cfg.authors = check.weights("authors", raw.get("authors", {}))
    cfg.orgs = check.weights("orgs", raw.get("orgs", {}))
    cfg.weights.update({k: float(v) for k, v in raw.get("weights", {}).items()})
    show = raw.get("show", {})
    cfg.limit = show.get("limit", cfg.limit)
    if cfg.limit < 1:
        raise check.fail("show.limit", "must be at least 1")
    cfg.min_score = float(show.get("min_score", cfg.min_score))
    cfg.unmatched = show.get("unmatched", cfg.unmatched)
    if cfg.unmatched not in UNMATCHED:
        raise check.fail("show.unmatched", f'must be "hide" or "show", got {got(cfg.unmatched)}')
    cfg.cross_lists = show.get("cross_lists", cfg.cross_lists)
    if cfg.cross_lists not in CROSS_LISTS:
        raise check.fail("show.cross_lists", f'must be "show", "fold" or "hide", got {got(cfg.cross_lists)}')
    fetch = raw.get("fetch", {})
    cfg.fetch_timeout = float(fetch.get("timeout", cfg.fetch_timeout))
    if cfg.fetch_timeout <= 0:
        raise check.fail("fetch.timeout", "must be a positive number of seconds")
    cfg.stale_days = fetch.get("stale_days", cfg.stale_days)
    cfg.user_agent = fetch.get("user_agent")
    cfg.lock_timeout = float(raw.get("store", {}).get("lock_timeout", cfg.lock_timeout))
    for name, table in check.table("sources", raw.get("sources", {})).items():
        where = f"sources.{name}"
        table = check.table(where, table)
        check.keys(where, table, SOURCE_KEYS)
        if ("path" in table) == ("url" in table):
            raise check.fail(where, "needs exactly one of 'path' or 'url'")
        if "url" in table and not table["url"].lower().startswith(("http://", "https://")):
            raise check.fail(f"{where}.url", "must start with http:// or https://")
        if table.get("kind") is not None and table["kind"] not in KINDS:
            raise check.fail(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
        if "calendar" in table and table["calendar"] not in (*SCHEDULES, "none"):
            raise check.fail(f"{where}.calendar", f"must be one of {', '.join((*SCHEDULES, 'none'))}")
        if "path" in table:
            table = {**table, "path": paths.from_config(table["path"], path)}
        cfg.sources.append(Source(name=name, **table))
    cfg.email = raw.get("email", {})  # checked by their owners (see OWNED)
    cfg.similarity = raw.get("similarity", {})
    cfg.matching = raw.get("matching", {})
    cfg.abbreviations = raw.get("abbreviations", {})
    cfg.learning = raw.get("learning", {})
    cfg.triage = raw.get("triage", {})
    cfg.semantic = raw.get("semantic", {})
    return cfg


def load_config(path: Path | None = None, *, explicit: bool = False) -> Config:
    """Load the config at ``path``.

    When ``path`` does not exist and was not given explicitly (``--config`` or
    ``DIGEST_CONFIG``), the built-in default config is used instead.
    """
    if path is None:
        path = paths.config_path()
    if not path.exists():
        if explicit:
            raise ConfigError("config file not found", path=path)
        default = paths.default_config_path()
        return parse_config(default.read_text(encoding="utf-8"), default, is_default=True)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from None
    return parse_config(text, path)


def init_config(path: Path, *, force: bool = False) -> Path:
    """Write the documented default config to ``path`` (never overwrites unless force)."""
    from digest.store.files import atomic_write

    if path.exists() and not force:
        raise ConfigError("already exists (use --force to overwrite)", path=path)
    atomic_write(path, paths.default_config_path().read_bytes())
    return path
