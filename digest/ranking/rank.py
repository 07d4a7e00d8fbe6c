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
from digest.ranking.report import Mode, Report, SourceLine
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


def build_report(entries: list[Scored], heading: str, *, pool: int, tags: Tags | None = None,
                 mode: Mode = "new", sources: list[SourceLine] | None = None,
                 warnings: list[str] | None = None) -> Report:
    """A Report of ranked entries, with the tags of the papers it shows."""
    tags = tags or {}
    shown = {}
    for s in entries:
        t = sorted(tags.get(s.record["id"], ()))
        if t:
            shown[s.record["id"]] = t
    return Report(entries, heading, mode=mode, pool=pool, sources=list(sources or []),
                  warnings=list(warnings or []), tags=shown, date=date.today().isoformat())
