"""Scoring papers against the user's interests, explainably.

Text is normalised once per field: case-folded, accents and TeX folded, and
every character that is not a letter or digit becomes a space, so spaces act as
word boundaries. Hyphens are handled twice: once as a space (``vision-language``
-> ``vision language``) and once removed (``pre-training`` -> ``pretraining``),
and a term matches either form. A term's own hyphen/space/no-space variants are
all tried, so ``pre-training`` = ``pretraining`` = ``pre training``. A trailing
``*`` matches a prefix.

Each (term, field) pair counts once: ``weight * field_weight``. Author and
organisation boosts add their weight. The score is the sum of the contributions,
and every contribution is kept as a :class:`Match` for ``digest explain``.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable

from digest.identity import fold_tex

FIELDS = ("title", "abstract")
_NON_WORD = re.compile(r"[\W_]+")
_HYPHENS = re.compile(r"[\-\u2010\u2011\u2012\u2013]")
_COMBINING = re.compile(r"[\u0300-\u036f]")


@dataclass
class Match:
    term: str
    field: str  # title, abstract, authors, org, or similarity
    weight: float  # the contribution to the score
    detail: str = ""

    def to_dict(self) -> dict:
        d = {"term": self.term, "field": self.field, "weight": round(self.weight, 3)}
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass
class Scored:
    record: dict
    score: float
    matches: list[Match] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        return [m.term for m in self.matches if m.field in FIELDS]


def fold(text: str) -> str:
    """Lower-case, accent- and TeX-folded text (no punctuation handling)."""
    text = unicodedata.normalize("NFKD", fold_tex(text or "").casefold())
    return _COMBINING.sub("", text)


def normalize(text: str) -> str:
    """The matching form of a field: `` spaced form  joined form ``."""
    t = fold(text)
    spaced = _NON_WORD.sub(" ", _HYPHENS.sub(" ", t)).strip()
    joined = _NON_WORD.sub(" ", _HYPHENS.sub("", t)).strip()
    if joined == spaced:
        return f" {spaced} "
    return f" {spaced}  {joined} "


def _variants(tokens: list[str]) -> set[str]:
    """Every way of writing the tokens with a space or nothing between them."""
    if len(tokens) > 6:
        return {" ".join(tokens), "".join(tokens)}
    out = {tokens[0]}
    for tok in tokens[1:]:
        out = {v + " " + tok for v in out} | {v + tok for v in out}
    return out


@dataclass
class Term:
    text: str  # as written in the config
    weight: float
    patterns: tuple[str, ...]

    @classmethod
    def compile(cls, text: str, weight: float) -> "Term":
        raw = text.strip()
        prefix = raw.endswith("*")
        core = raw.rstrip("*")
        tokens = _NON_WORD.sub(" ", _HYPHENS.sub(" ", fold(core))).split()
        if not tokens:
            return cls(text, weight, ())
        pats = tuple(sorted(" " + v + ("" if prefix else " ") for v in _variants(tokens)))
        return cls(text, weight, pats)

    def found_in(self, normalized: str) -> bool:
        return any(p in normalized for p in self.patterns)


def _name_key(name: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(name)).split())


class Scorer:
    def __init__(
        self,
        interests: dict[str, float],
        *,
        weights: dict[str, float] | None = None,
        authors: dict[str, float] | None = None,
        orgs: dict[str, float] | None = None,
        extra: Iterable[Callable[[dict], list[Match]]] = (),
    ) -> None:
        self.terms = [t for t in (Term.compile(k, v) for k, v in interests.items()) if t.patterns]
        self.weights = {"title": 2.0, "abstract": 1.0} | dict(weights or {})
        self.authors = {_name_key(k): (k, v) for k, v in (authors or {}).items()}
        self.orgs = [(f" {_name_key(k)} ", k, v) for k, v in (orgs or {}).items()]
        self.extra = list(extra)

    @classmethod
    def from_config(cls, cfg, extra: Iterable[Callable[[dict], list[Match]]] = ()) -> "Scorer":
        return cls(cfg.interests, weights=cfg.weights, authors=cfg.authors, orgs=cfg.orgs, extra=extra)

    def score(self, rec: dict) -> Scored:
        matches: list[Match] = []
        for fname in FIELDS:
            text = rec.get(fname) or ""
            if not text:
                continue
            norm = normalize(text)
            fw = self.weights.get(fname, 1.0)
            for term in self.terms:
                if term.found_in(norm):
                    matches.append(Match(term.text, fname, term.weight * fw))
        if self.authors:
            aw = self.weights.get("authors", 1.0)
            for name in rec.get("authors") or []:
                hit = self.authors.get(_name_key(name))
                if hit:
                    matches.append(Match(hit[0], "authors", hit[1] * aw))
        if self.orgs and rec.get("org"):
            org = f" {_name_key(rec['org'])} "
            ow = self.weights.get("org", 1.0)
            for key, name, weight in self.orgs:
                if key in org:
                    matches.append(Match(name, "org", weight * ow))
        for fn in self.extra:
            matches.extend(fn(rec))
        total = round(sum(m.weight for m in matches), 3)
        return Scored(rec, total, matches)

    def rank(
        self,
        records: Iterable[dict],
        *,
        limit: int | None = None,
        min_score: float | None = None,
    ) -> list[Scored]:
        """Score and sort: highest score first, then newest, then title."""
        scored = (self.score(r) for r in records)
        if min_score is not None:
            scored = (s for s in scored if s.score >= min_score)
        key = _rank_key
        if limit is None:
            return sorted(scored, key=key)
        return heapq.nsmallest(limit, scored, key=key)


def _rank_key(s: Scored) -> tuple:
    return (-s.score, _neg_date(s.record.get("published") or ""), s.record.get("title", ""))


def _neg_date(d: str) -> tuple:
    # newer dates first: invert the digits so a plain ascending sort works
    return tuple(-ord(c) for c in d) if d else (1,)


def highlight_regex(terms: Iterable[str]) -> re.Pattern | None:
    """A regex that finds the given config terms in original (unnormalised) text,
    for highlighting: case-insensitive, whole words, any hyphen/space/no-space joins."""
    parts = []
    for t in set(terms):
        prefix = t.strip().endswith("*")
        tokens = _NON_WORD.sub(" ", _HYPHENS.sub(" ", fold(t.strip().rstrip("*")))).split()
        if not tokens:
            continue
        body = r"[\s\-\u2010\u2011]?".join(re.escape(tok) for tok in tokens)
        parts.append(body + (r"\w*" if prefix else ""))
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
