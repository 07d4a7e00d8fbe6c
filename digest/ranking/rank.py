"""From a config and stored papers to a ranked :class:`Report`.

The one place that builds the scorer a config asks for (keyword interests,
authors, organisations, and what the reading list teaches: the similarity boost,
muted terms, followed authors and the terms learned from votes), ranks a set of
papers with it and wraps the result as a report. The reading list's state comes
in as plain data (``tags``: item id -> its tags; ``feedback``: a
:class:`digest.ranking.feedback.Feedback`), so ranking never imports the reading list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from digest.config import Config
from digest.ranking.feedback import Feedback, learning_settings
from digest.ranking.report import Mode, Report, SourceLine
from digest.ranking.score import Scored, Scorer
from digest.store import Store

Tags = Mapping[str, Iterable[str]]  # item id -> the tags it carries


def scorer_for(cfg: Config, store: Store | None = None, tags: Tags | None = None,
               feedback: Feedback | None = None) -> Scorer:
    """The scorer for ``cfg``; with a store and the reading list's tags, the similarity
    boost toward tagged papers when ``[similarity]`` asks for it; with ``feedback``, the
    muted terms, followed authors and (``[learning] enabled``) the terms learned from votes."""
    extra = []
    if store is not None and tags and cfg.similarity.get("tags"):
        from digest.ranking.similarity import similarity_boost

        fn = similarity_boost(store, cfg, tags)
        if fn is not None:
            extra.append(fn)
    if feedback is None or feedback.empty:
        return Scorer.from_config(cfg, extra=extra)
    learning = learning_settings(cfg)
    muted = {t: float(learning["mute_weight"]) for t in feedback.muted} if learning["mute_weight"] else {}
    followed = {a: float(learning["follow_weight"]) for a in feedback.followed} if learning["follow_weight"] else {}
    model = None
    if store is not None and feedback.votes and learning["enabled"] and learning["weight"] > 0:
        from digest.ranking.learned import cached_model

        model = cached_model(store, feedback.votes, max_terms=int(learning["max_terms"]),
                             scale=float(learning["weight"]), tags=learning["tags"])
    return Scorer.from_config(cfg, extra=extra, muted=muted, followed=followed, learned=model)


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
