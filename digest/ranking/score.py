"""Scoring papers against the user's interests, explainably.

Each (term, field) pair counts once: ``weight * field_weight``. Author and
organisation boosts add their weight. Terms muted and authors followed from
triage count like configured ones (marked so in ``explain``); the terms learned
from votes (:mod:`digest.ranking.learned`) go through the same matcher and add up
to one ``learned`` contribution that names its words. The score is the sum of the
contributions, and every contribution is kept as a :class:`Match` for
``digest explain``. Term matching itself lives in :mod:`digest.ranking.match`.
"""

from __future__ import annotations

import functools
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
    field: str  # title, abstract, authors, org, votes (learned) or similarity
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


MUTED = "muted in triage"  # the detail of a contribution from a muted term
FOLLOWED = "followed in triage"  # ... and from a followed author
LEARNED = "learned"  # the term of the learned contribution (its field: "votes")


@dataclass
class Term:
    text: str  # as written in the config (or muted, or learned)
    weight: float
    origin: str = ""  # "" (config), MUTED or LEARNED


@functools.lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """An author, organisation or term as compared: folded, punctuation and spacing ignored
    (memoised: the same authors come back paper after paper)."""
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
        muted: dict[str, float] | None = None,
        followed: dict[str, float] | None = None,
        learned=None,
    ) -> None:
        self.terms = [Term(k, v) for k, v in interests.items() if term_patterns(k)]
        own = {name_key(t.text) for t in self.terms}  # a configured term wins over the same one muted
        self.terms += [Term(k, v, MUTED) for k, v in (muted or {}).items()
                       if term_patterns(k) and name_key(k) not in own]
        self.learned = learned  # a digest.ranking.learned.Model, or None
        if learned is not None:  # (a learned word the config names already is left to the config)
            self.terms += [Term(t.term, t.weight, LEARNED) for t in learned.terms
                           if term_patterns(t.term) and name_key(t.term) not in own]
        self.matcher = Matcher([t.text for t in self.terms])
        self._term_weights = [t.weight for t in self.terms]
        self.weights = {"title": 2.0, "abstract": 1.0} | dict(weights or {})
        self.authors = {name_key(k): (k, v, FOLLOWED) for k, v in (followed or {}).items()}
        self.authors |= {name_key(k): (k, v, "") for k, v in (authors or {}).items()}
        self.orgs = [(f" {name_key(k)} ", k, v) for k, v in (orgs or {}).items()]
        self.extra = list(extra)

    @classmethod
    def from_config(cls, cfg, extra: Iterable[Callable[[dict], list[Match]]] = (), *,
                    muted: dict[str, float] | None = None, followed: dict[str, float] | None = None,
                    learned=None) -> Scorer:
        return cls(cfg.interests, weights=cfg.weights, authors=cfg.authors, orgs=cfg.orgs, extra=extra,
                   muted=muted, followed=followed, learned=learned)

    def score(self, rec: dict) -> Scored:
        matches: list[Match] = []
        learned: dict[str, float] = {}
        for fname in FIELDS:
            text = rec.get(fname) or ""
            if not text:
                continue
            fw = self.weights.get(fname, 1.0)
            for i in sorted(self.matcher.find(normalize(text))):
                term = self.terms[i]
                if term.origin == LEARNED:
                    learned[term.text] = learned.get(term.text, 0.0) + term.weight * fw
                else:
                    matches.append(Match(term.text, fname, term.weight * fw, term.origin))
        if learned:
            votes = self.learned.votes if self.learned is not None else 0
            matches.append(Match(LEARNED, "votes", round(sum(learned.values()), 3),
                                 learned_detail(list(learned.items()), votes)))
        if self.authors:
            aw = self.weights.get("authors", 1.0)
            for name in rec.get("authors") or []:
                hit = self.authors.get(name_key(name))
                if hit:
                    matches.append(Match(hit[0], "authors", hit[1] * aw, hit[2]))
        if self.orgs and rec.get("org"):
            org = f" {name_key(rec['org'])} "
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


def learned_detail(contributions: list[tuple[str, float]], votes: int, *, shown: int = 6) -> str:
    """``sparse +0.8, pruning +0.6 … from 23 votes``: the learned words behind one score, largest first."""
    parts = sorted(contributions, key=lambda kv: (-abs(kv[1]), kv[0]))
    text = ", ".join(f"{t} {w:+.1f}" for t, w in parts[:shown])
    more = f" … {len(parts) - shown} more" if len(parts) > shown else ""
    return f"{text}{more} from {votes} vote{'s' if votes != 1 else ''}"


def rank_key(score: float, rec: dict) -> tuple:
    """Sort key: highest score first, then the newest publication date, then title."""
    pub = rec.get("published") or ""
    try:
        day = -int(pub[:4] + pub[5:7] + pub[8:10]) if pub else 0
    except ValueError:
        day = 0
    return (-score, day, rec.get("title") or "")
