"""Damping: a wanted term found in most of your papers weighs less.

A one-word term such as ``data`` or ``benchmark`` matches a large share of all papers,
so a title hit alone would lift unrelated papers into the top. Each wanted term's
weight is multiplied by

    factor = ln(1/p) / ln(1/p0)     when p > p0 (at least FLOOR), else 1

where ``p`` is the share of stored papers the term matches (title or abstract, with every
matching rule) and ``p0`` is ``[matching] damping_from`` (default 0.2): the idf of the
term relative to that of a term in a fifth of the papers. A term in 53% of your papers
gets x0.39; in 30%, x0.75; mute terms are never damped. ``digest explain`` shows it
(``data ×0.39: in 53% of your papers``). ``[matching] damping = false`` switches it off.

The shares are counted with the real matcher over the SAMPLE most recently stored papers
and kept in the index's cache with the terms' fingerprint; later runs count only the
papers stored since, so a daily run never scans the store. A store of fewer than
MIN_PAPERS papers is not damped (its shares say little). Only the configured terms are counted
and damped: the terms muted in triage are mute terms, and the learned ones (which change with
every triage) already weigh how common a word is, so a new vote never forces a recount.
"""

from __future__ import annotations

import json
import math

from digest.ranking.score import FIELDS, Scorer
from digest.store import Store
from digest.store.files import checksum
from digest.words import normalize

DEFAULT_FROM = 0.2
FLOOR = 0.1
SAMPLE = 2000
MIN_PAPERS = 50
MAX_CATCH_UP = 20_000  # more new papers than this since the cache: count a fresh sample instead
CACHE_NAME = "term-shares"


def fingerprint(scorer: Scorer) -> str:
    """What the counts depend on: the terms, the matching rules and the abbreviations. Not the
    vocabulary: a paper's own words are in it from the moment it is stored, so the counts of
    the papers already counted stay true when it grows."""
    parts = [repr(scorer.rules).encode()]
    parts += [f"{k}\x00{v}\x01".encode() for k, v in sorted(scorer.abbreviations.items())]
    parts += [spec.text.encode("utf-8") + b"\x02" for spec in scorer.specs[:scorer.n_config]]
    return checksum(b"".join(parts))


def _count(scorer: Scorer, records, df: list[int]) -> int:
    find = scorer.matcher.find
    n = 0
    configured = len(df)
    for rec in records:
        found: set[int] = set()
        for f in FIELDS:
            text = rec.get(f)
            if text:
                found |= find(normalize(text))
        for i in found:
            if i < configured:
                df[i] += 1
        n += 1
    return n


def term_counts(store: Store, scorer: Scorer) -> tuple[int, list[int]]:
    """(papers counted, papers each term matches), from the cache when it is there."""
    fp = fingerprint(scorer)
    top = store.max_rowid()
    state = None
    raw = store.cache_get(CACHE_NAME)
    if raw:
        try:
            state = json.loads(raw)
            if state.get("fp") != fp or len(state["df"]) != scorer.n_config or state["upto"] > top:
                state = None
        except (ValueError, KeyError, TypeError, AttributeError):
            state = None
    if state is not None and top - state["upto"] <= MAX_CATCH_UP:
        n, df, upto = state["n"], list(state["df"]), state["upto"]
        if top > upto:
            n += _count(scorer, store.records_after_rowid(upto, MAX_CATCH_UP), df)
    else:
        df = [0] * scorer.n_config
        n = _count(scorer, store.recent_records(SAMPLE), df)
    if state is None or top != state["upto"]:
        store.cache_put(CACHE_NAME, json.dumps({"fp": fp, "n": n, "upto": top, "df": df}))
    return n, df


def factor(share: float, p0: float = DEFAULT_FROM) -> float:
    """The damping factor of a term found in ``share`` of the papers."""
    if share <= p0:
        return 1.0
    if share >= 1:
        return FLOOR
    return max(FLOOR, math.log(1 / share) / math.log(1 / p0))


def apply(store: Store, scorer: Scorer, p0: float = DEFAULT_FROM) -> None:
    """Damp the scorer's wanted terms by their shares of the store's papers."""
    configured = scorer.specs[:scorer.n_config]
    if not any(t.weight > 0 for t in configured):
        return
    n, df = term_counts(store, scorer)
    if n < MIN_PAPERS:
        return
    shares: list[float | None] = [d / n for d in df]
    factors = [factor(s, p0) if t.weight > 0 and s is not None else 1.0
               for t, s in zip(configured, shares, strict=True)]
    scorer.set_damping(factors, shares)
