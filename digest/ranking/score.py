"""Scoring papers against the user's interests, explainably.

Each (term, field) pair counts once: ``weight * field_weight``. Author and
organisation boosts add their weight. The score is the sum of the contributions,
and every contribution is kept as a :class:`Match` for ``digest explain``.
Term matching itself lives in :mod:`digest.ranking.match`.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from digest.ranking.match import Matcher, fold, normalize, term_patterns

FIELDS = ("title", "abstract")
_NON_WORD = re.compile(r"[\W_]+")


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


@dataclass
class Term:
    text: str  # as written in the config
    weight: float


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
        self.terms = [Term(k, v) for k, v in interests.items() if term_patterns(k)]
        self.matcher = Matcher([t.text for t in self.terms])
        self._term_weights = [t.weight for t in self.terms]
        self.weights = {"title": 2.0, "abstract": 1.0} | dict(weights or {})
        self.authors = {_name_key(k): (k, v) for k, v in (authors or {}).items()}
        self.orgs = [(f" {_name_key(k)} ", k, v) for k, v in (orgs or {}).items()]
        self.extra = list(extra)

    @classmethod
    def from_config(cls, cfg, extra: Iterable[Callable[[dict], list[Match]]] = ()) -> Scorer:
        return cls(cfg.interests, weights=cfg.weights, authors=cfg.authors, orgs=cfg.orgs, extra=extra)

    def score(self, rec: dict) -> Scored:
        matches: list[Match] = []
        for fname in FIELDS:
            text = rec.get(fname) or ""
            if not text:
                continue
            fw = self.weights.get(fname, 1.0)
            for i in sorted(self.matcher.find(normalize(text))):
                term = self.terms[i]
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

    def prepare_for_scan(self) -> None:
        """Rebuild the matcher for scoring very many papers (a full rescore)."""
        self.matcher = Matcher([t.text for t in self.terms], dfa=True)

    def fast_score(self, rec: dict) -> float:
        """The same number as ``score(rec).score``, without building the explanation."""
        if self.authors or self.orgs or self.extra:
            return self.score(rec).score
        total = 0.0
        weights = self._term_weights
        for fname in FIELDS:
            text = rec.get(fname)
            if text:
                found = self.matcher.find(normalize(text))
                if found:
                    total += self.weights.get(fname, 1.0) * sum(map(weights.__getitem__, found))
        return round(total, 3)

    def rank(
        self,
        records: Iterable[dict],
        *,
        limit: int | None = None,
        min_score: float | None = None,
    ) -> list[Scored]:
        """Score and sort: highest score first, then newest, then title."""
        keyed = ((rank_key(self.fast_score(r), r), i, r) for i, r in enumerate(records))
        if min_score is not None:
            keyed = (k for k in keyed if -k[0][0] >= min_score)
        best = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
        return [self.score(r) for _, _, r in best]


def rank_key(score: float, rec: dict) -> tuple:
    """Sort key: highest score first, then the newest publication date, then title."""
    pub = rec.get("published") or ""
    try:
        day = -int(pub[:4] + pub[5:7] + pub[8:10]) if pub else 0
    except ValueError:
        day = 0
    return (-score, day, rec.get("title") or "")
