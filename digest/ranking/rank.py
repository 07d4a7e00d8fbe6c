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
from digest.ranking.report import Mode, Report, Revision, SourceLine
from digest.ranking.score import Hidden, Scored, Scorer
from digest.records import dataclass
from digest.store import Store

Tags = Mapping[str, Iterable[str]]  # item id -> the tags it carries


def scorer_for(cfg: Config, store: Store | None = None, tags: Tags | None = None,
               feedback: Feedback | None = None, *, cache_terms: bool = True) -> Scorer:
    """The scorer for ``cfg``; with a store, its terms expanded through the store's
    vocabulary and damped by how common they are in it, and (with the reading list's
    tags) the similarity boost toward tagged papers when ``[similarity]`` asks for it;
    with ``feedback``, the muted terms, followed authors and (``[learning] enabled``) the
    terms learned from votes; the semantic contribution when ``[semantic]`` is on (numpy and
    the model load only then). ``cache_terms=False``: a scorer for a variant of the config (tune
    tries one per suggestion), whose expanded terms are not kept in place of the config's own
    (ranking/termcache.py)."""
    extra: list = []
    if store is not None and tags and cfg.similarity.get("tags"):
        from digest.ranking.similarity import similarity_boost

        fn = similarity_boost(store, cfg, tags)
        if fn is not None:
            extra.append(fn)
    if store is not None and cfg.semantic:
        from digest.ranking.semantic import settings as semantic_settings

        wanted = semantic_settings(cfg)
        if wanted is not None:
            from digest.ranking.semantic.boost import semantic_boost

            boost = semantic_boost(store, cfg, wanted, tags)
            if boost is not None:
                extra.append(boost)
    muted: dict[str, float] = {}
    followed: dict[str, float] = {}
    model = None
    if feedback is not None and not feedback.empty:
        learning = learning_settings(cfg)
        if learning["mute_weight"]:
            muted = {t: float(learning["mute_weight"]) for t in feedback.muted}
        if learning["follow_weight"]:
            followed = {a: float(learning["follow_weight"]) for a in feedback.followed}
        if store is not None and feedback.votes and learning["enabled"] and learning["weight"] > 0:
            from digest.ranking.learned import cached_model

            model = cached_model(store, feedback.votes, max_terms=int(learning["max_terms"]),
                                 scale=float(learning["weight"]), tags=learning["tags"])
    scorer = Scorer.from_config(cfg, extra=extra, vocabulary=store.vocabulary() if store is not None else None,
                                muted=muted, followed=followed, learned=model, cache=store if cache_terms else None)
    if store is not None and cfg.matching.get("damping", True):
        from digest.ranking import damping

        damping.apply(store, scorer, float(cfg.matching.get("damping_from", damping.DEFAULT_FROM)))
    return scorer


def can_match(scorer: Scorer) -> bool:
    """Whether anything is configured that a paper could be wanted for (a wanted interest, author
    or organisation, a boost): without, no paper is "unmatched". Mute terms alone do not count:
    they say what to hide, not what to keep, and every paper they did not hit would be left out."""
    return bool(any(t.weight > 0 for t in scorer.terms) or any(v > 0 for _, v, _ in scorer.authors.values())
                or any(v > 0 for _, _, v in scorer.orgs) or scorer.extra)


def matched(scorer: Scorer, rec: dict) -> bool:
    """Did the paper match anything (a score of 0 may still be matches that cancel out)?"""
    return scorer.fast_score(rec) != 0 or bool(scorer.score(rec).matches)


@dataclass
class Ranked:
    entries: list[Scored]
    unmatched: int = 0  # left out for matching nothing
    cross_lists: int = 0  # left out for being arXiv cross-lists ([show] cross_lists = "hide")


def rank_records(scorer: Scorer, records: Iterable[dict], *, limit: int | None, min_score: float | None,
                 matched_only: bool = False, hide_cross_lists: bool = False,
                 hidden: Hidden | None = None, sort: str = "score") -> Ranked:
    """Rank ``records``, leaving out (and counting) the cross-lists with ``hide_cross_lists``, and
    with ``matched_only`` (and a scorer that can match anything) the papers that matched
    nothing (not counted when min_score > 0 would hide them anyway); ``sort``: one of RANK_SORTS."""
    matched_only = matched_only and can_match(scorer) and not (min_score is not None and min_score > 0)
    out = Ranked([])
    if not matched_only and not hide_cross_lists:
        out.entries = scorer.rank(records, limit=limit, min_score=min_score, hidden=hidden, sort=sort)
        return out

    def kept() -> Iterable[dict]:
        for r in scorer.batches(records):  # (prepared a batch at a time: matched() scores each)
            if hide_cross_lists and r.get("cross_list") is True:
                out.cross_lists += 1
            elif matched_only and not matched(scorer, r):
                out.unmatched += 1
            else:
                yield r

    out.entries = scorer.rank(kept(), limit=limit, min_score=min_score, hidden=hidden, sort=sort)
    return out


def update_semantic_cache(cfg: Config, store: Store) -> int:
    """After an ingest (store lock held): embed the papers the semantic cache lacks, when
    ``[semantic]`` is on. How many were embedded."""
    if not cfg.semantic:
        return 0
    from digest.ranking.semantic import settings as semantic_settings

    wanted = semantic_settings(cfg)
    if wanted is None:
        return 0
    from digest.ranking.semantic.boost import catch_up
    from digest.ranking.semantic.model import load_model

    return catch_up(store, load_model(wanted.model))


def build_report(entries: list[Scored], heading: str, *, pool: int, tags: Tags | None = None,
                 mode: Mode = "new", sources: list[SourceLine] | None = None,
                 warnings: list[str] | None = None, unmatched: int = 0,
                 updates: Iterable[tuple[dict, list[str]]] = (), cross_lists: str = "show",
                 cross_hidden: int = 0, hidden: Hidden | None = None) -> Report:
    """A Report of ranked entries, with the tags of the papers it shows (and of those
    ``hidden`` by mute terms)."""
    tags = tags or {}
    shown = {}
    hidden = hidden or Hidden()
    for s in entries + hidden.entries:
        t = sorted(tags.get(s.record["id"], ()))
        if t:
            shown[s.record["id"]] = t
    return Report(entries, heading, mode=mode, pool=pool, sources=list(sources or []),
                  warnings=list(warnings or []), tags=shown, date=date.today().isoformat(),
                  unmatched=unmatched, updates=[Revision(r, list(t)) for r, t in updates],
                  cross_lists=cross_lists, cross_hidden=cross_hidden, hidden=hidden)
