"""From a config and stored papers to a ranked :class:`Report`.

The one place that builds the scorer a config asks for (keyword interests,
authors, organisations, and the optional boosts that learn from the reading
list), ranks a set of papers with it and wraps the result as a report. The
reading list's state comes in as plain data (``tags``: item id -> its tags), so
ranking never imports the reading list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from digest.config import Config
from digest.ranking.report import Mode, Report, Revision, SourceLine
from digest.ranking.score import Scored, Scorer
from digest.store import Store

Tags = Mapping[str, Iterable[str]]  # item id -> the tags it carries


def scorer_for(cfg: Config, store: Store | None = None, tags: Tags | None = None) -> Scorer:
    """The scorer for ``cfg``; with a store and the reading list's tags, the similarity
    boost toward tagged papers when ``[similarity]`` asks for it."""
    extra = []
    if store is not None and tags and cfg.similarity.get("tags"):
        from digest.ranking.similarity import similarity_boost

        fn = similarity_boost(store, cfg, tags)
        if fn is not None:
            extra.append(fn)
    return Scorer.from_config(cfg, extra=extra)


def can_match(scorer: Scorer) -> bool:
    """Whether anything is configured that a paper could match (interests, authors,
    organisations, a boost): without, no paper is "unmatched"."""
    return bool(scorer.terms or scorer.authors or scorer.orgs or scorer.extra)


def matched(scorer: Scorer, rec: dict) -> bool:
    """Did the paper match anything (a score of 0 may still be matches that cancel out)?"""
    return scorer.fast_score(rec) != 0 or bool(scorer.score(rec).matches)


def rank_records(scorer: Scorer, records: Iterable[dict], *, limit: int | None, min_score: float | None,
                 matched_only: bool = False) -> tuple[list[Scored], int]:
    """Rank ``records``; with ``matched_only`` (and a scorer that can match anything), papers
    that matched nothing are left out. Returns the ranked entries and how many were left out
    for matching nothing (0 when min_score > 0 would hide them anyway)."""
    if not matched_only or not can_match(scorer) or (min_score is not None and min_score > 0):
        return scorer.rank(records, limit=limit, min_score=min_score), 0
    left_out = 0

    def kept() -> Iterable[dict]:
        nonlocal left_out
        for r in records:
            if matched(scorer, r):
                yield r
            else:
                left_out += 1

    entries = scorer.rank(kept(), limit=limit, min_score=min_score)
    return entries, left_out


def build_report(entries: list[Scored], heading: str, *, pool: int, tags: Tags | None = None,
                 mode: Mode = "new", sources: list[SourceLine] | None = None,
                 warnings: list[str] | None = None, unmatched: int = 0,
                 updates: Iterable[tuple[dict, list[str]]] = ()) -> Report:
    """A Report of ranked entries, with the tags of the papers it shows."""
    tags = tags or {}
    shown = {}
    for s in entries:
        t = sorted(tags.get(s.record["id"], ()))
        if t:
            shown[s.record["id"]] = t
    return Report(entries, heading, mode=mode, pool=pool, sources=list(sources or []),
                  warnings=list(warnings or []), tags=shown, date=date.today().isoformat(),
                  unmatched=unmatched, updates=[Revision(r, list(t)) for r, t in updates])
