"""The daily pipeline: read inputs, parse them, diff them into the store.

Inputs are files, directories (their files), globs, ``-`` (standard input) or
http(s) URLs. Each input is handled on its own: a broken one is reported as
that input's error and the others still go in. Configured sources
(``[sources.NAME]`` in config.toml) remember what they fetched (ETag and
Last-Modified per URL, size and mtime per file) so an unchanged input costs
nothing, and their health (last success, last new item, last error) so the
digest can warn about a source that has gone quiet.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from digest.config import Config, Source
from digest.errors import DigestError, InputError
from digest.ingest.diff import IngestResult, ingest_items
from digest.item import ParseResult
from digest.store import Store, utcnow
from digest.text import printable_name

MAX_INPUT_BYTES = 256 * 2**20  # refuse a single input larger than this


def is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def source_label(name: str) -> str:
    """How an input is named in counts, warnings, errors and the records' ``sources``: ``<stdin>``
    for ``-``, else the name made printable (a file name is bytes: it may be no UTF-8, or hold
    escape sequences and newlines). The name itself is kept for opening the file."""
    return "<stdin>" if name == "-" else printable_name(name)


def expand(spec: str) -> list[str]:
    """A path spec as the list of input names it stands for."""
    if spec == "-" or is_url(spec):
        return [spec]
    path = os.path.expanduser(spec)
    if glob.has_magic(path):
        matches = sorted(p for p in glob.glob(path) if os.path.isfile(p))
        return matches
    if os.path.isdir(path):
        return sorted(str(p) for p in Path(path).iterdir() if p.is_file() and not p.name.startswith("."))
    return [path]


def read_bytes(name: str, stdin: BinaryIO | None = None) -> tuple[bytes, date | None]:
    """The bytes of a file or of stdin, and the file's modification date."""
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"input larger than {MAX_INPUT_BYTES // 2**20} MB", path="<stdin>")
        return data, None
    try:
        st = os.stat(name)
        if not os.path.isfile(name):
            raise InputError("not a regular file", path=name)
        if st.st_size > MAX_INPUT_BYTES:
            raise InputError(f"input larger than {MAX_INPUT_BYTES // 2**20} MB", path=name)
        with open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", path=name) from None
    except IsADirectoryError:
        raise InputError("is a directory", path=name) from None
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=name) from None
    return data, datetime.fromtimestamp(st.st_mtime).date()


def parse(data: bytes, *, source: str, kind: str | None, ref_date: date) -> ParseResult:
    from digest.sources.detect import parse_bytes

    result = parse_bytes(data, source=source, kind=kind, ref_date=ref_date)
    # every warning names its input, whichever parser wrote it
    result.warnings = [w if w.startswith(source) else f"{source}: {w}" for w in result.warnings]
    return result


def parse_input(name: str, *, kind: str | None = None, ref_date: date | None = None,
                stdin: BinaryIO | None = None, timeout: float = 30.0,
                user_agent: str | None = None) -> ParseResult:
    """Read and parse one input (file, ``-`` or URL)."""
    source = source_label(name)
    if is_url(name):
        from digest.sources.fetch import fetch_url

        res = fetch_url(name, timeout=timeout, user_agent=user_agent)
        data, mdate = res.body or b"", None
    else:
        data, mdate = read_bytes(name, stdin)
    return parse(data, source=source, kind=kind, ref_date=ref_date or mdate or date.today())


def ingest_inputs(store: Store, names: list[str], *, kind: str | None = None,
                  ref_date: date | None = None, dry_run: bool = False,
                  stdin: BinaryIO | None = None, timeout: float = 30.0,
                  user_agent: str | None = None) -> list[IngestResult]:
    """Parse and ingest each input; the store lock must be held."""
    results = []
    for name in names:
        source = source_label(name)
        try:
            parsed = parse_input(name, kind=kind, ref_date=ref_date, stdin=stdin, timeout=timeout,
                                 user_agent=user_agent)
            res = ingest_items(store, parsed.items, source=source, dry_run=dry_run)
            res.warnings.extend(parsed.warnings)
        except InputError as exc:
            res = IngestResult(source=source, error=str(exc))
        results.append(res)
    return results


# --------------------------------------------------------------------------- configured sources
@dataclass
class SourceRun:
    name: str
    results: list[IngestResult] = field(default_factory=list)
    error: str | None = None
    skipped: int = 0  # inputs unchanged since last time (304 or same size/mtime)
    stale_warning: str | None = None

    @property
    def new(self) -> list[dict]:
        return [r for res in self.results for r in res.new]

    @property
    def updated(self) -> list[dict]:
        return [r for res in self.results for r in res.updated]

    @property
    def parsed(self) -> int:
        return sum(r.parsed for r in self.results)

    @property
    def errors(self) -> list[str]:
        errs = [self.error] if self.error else []
        return errs + [r.error for r in self.results if r.error]

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.results for w in r.warnings]


def run_sources(store: Store, cfg: Config, *, ref_date: date | None = None,
                only: list[str] | None = None, force: bool = False) -> list[SourceRun]:
    """Fetch and ingest every configured source (lock held). Never raises for one
    source's failure: it is recorded in that source's :class:`SourceRun`."""
    state = _checked_state(store)
    sstate = state["sources"]
    runs = []
    now = utcnow()
    for src in cfg.sources:
        if not src.enabled or (only and src.name not in only):
            continue
        st = sstate.setdefault(src.name, {})
        run = SourceRun(src.name)
        try:
            if src.url:
                _run_url(store, src, st, run, cfg, ref_date, force)
            else:
                _run_path(store, src, st, run, ref_date, force)
        except DigestError as exc:
            run.error = str(exc)
        st["last_attempt"] = now
        if run.errors:
            st["last_error"] = run.errors[0]
            st["last_error_at"] = now
        else:
            st["last_ok"] = now
            st.pop("last_error", None)
            st.pop("last_error_at", None)
        if run.new:
            st["last_new"] = now
        st.setdefault("first_run", now)
        run.stale_warning = _stale(src.name, st, cfg.stale_days, now)
        runs.append(run)
    store.write_state(state)
    return runs


# What state.json holds per source (this module owns its content): key -> the types allowed.
_STATE_TYPES: dict[str, tuple[type, ...]] = {
    "etag": (str, type(None)), "last_modified": (str, type(None)), "last_error": (str,),
    "last_attempt": (str,), "last_ok": (str,), "last_error_at": (str,), "last_new": (str,), "first_run": (str,),
    "files": (dict,),
}


def _checked_state(store: Store) -> dict:
    """state.json with every part of the wrong shape dropped (one warning says which): a source
    entry that is not an object, a validator or time that is not a string, a file signature that
    is not [size, mtime_ns]. What is dropped is only fetched or read again."""
    state = store.read_state()
    bad: list[str] = []
    sources = state.get("sources", {})
    if not isinstance(sources, dict):
        bad.append("sources")
        sources = {}
    for name, st in list(sources.items()):
        if not isinstance(st, dict):
            bad.append(f"sources.{name}")
            del sources[name]
            continue
        for key, types in _STATE_TYPES.items():
            if key in st and not isinstance(st[key], types):
                bad.append(f"sources.{name}.{key}")
                del st[key]
        files = st.get("files", {})
        for path, sig in list(files.items()):
            if not (isinstance(sig, list) and len(sig) == 2 and all(type(x) is int for x in sig)):
                bad.append(f"sources.{name}.files")
                del files[path]
    if bad:
        shown = ", ".join(dict.fromkeys(printable_name(b) for b in bad))
        store.state_warning(f"wrong shape ({shown[:200]})")
    state["sources"] = sources
    return state


def _run_url(store: Store, src: Source, st: dict, run: SourceRun, cfg: Config, ref_date: date | None,
             force: bool) -> None:
    from digest.sources.fetch import fetch_url

    res = fetch_url(
        src.url or "",
        timeout=cfg.fetch_timeout,
        user_agent=cfg.user_agent,
        etag=None if force else st.get("etag"),
        last_modified=None if force else st.get("last_modified"),
    )
    if res.not_modified:
        run.skipped += 1
        return
    parsed = parse(res.body or b"", source=src.name, kind=src.kind, ref_date=ref_date or date.today())
    ing = ingest_items(store, parsed.items, source=src.name)
    ing.warnings.extend(parsed.warnings)
    run.results.append(ing)
    # remember validators only once the content is safely stored
    st["etag"] = res.etag
    st["last_modified"] = res.last_modified


def _run_path(store: Store, src: Source, st: dict, run: SourceRun, ref_date: date | None, force: bool) -> None:
    names = expand(src.path or "")
    if not names:
        raise InputError("no files match", path=src.path)
    seen = st.setdefault("files", {})
    for name in names:
        try:
            stt = os.stat(name)
        except OSError:
            stt = None
        sig = [stt.st_size, stt.st_mtime_ns] if stt else None
        if not force and sig and seen.get(name) == sig:
            run.skipped += 1
            continue
        try:
            parsed = parse_input(name, kind=src.kind, ref_date=ref_date)
            ing = ingest_items(store, parsed.items, source=src.name)
            ing.warnings.extend(parsed.warnings)
            if sig:
                seen[name] = sig
        except InputError as exc:
            ing = IngestResult(source=source_label(name), error=str(exc))
        run.results.append(ing)


def _stale(name: str, st: dict, stale_days: int, now: str) -> str | None:
    if stale_days <= 0:
        return None
    ref = st.get("last_new") or st.get("first_run")
    if not ref:
        return None
    try:
        then = datetime.strptime(ref, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        cur = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    days = (cur - then) / timedelta(days=1)
    if days >= stale_days:
        return f"source {name!r} has given nothing new for {int(days)} days"
    return None
