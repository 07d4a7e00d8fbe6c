"""Ranking the whole store (``digest show --all``), in parallel.

The JSONL file is cut into line-aligned byte ranges, one per worker process;
each worker reads its range, skips superseded lines (older versions of a
paper), scores every record with the fast path (no explanation) and keeps
only its best ``limit`` candidates. The parent merges the candidates and
explains just the winners. Memory stays flat: no worker holds more than
``limit`` records. ``DIGEST_WORKERS`` sets the number of processes (default:
the CPU count, at most 8); small stores are scanned in-process.
"""

from __future__ import annotations

import gc
import heapq
import os
import sys
from collections.abc import Iterator
from itertools import islice

from digest.feedback import QUIET, Feedback
from digest.ranking.score import BATCH, Hidden, Scored, Scorer, rank_key, sort_key
from digest.store import Store
from digest.store.format import DamagedLine, valid_record
from digest.store.scan import iter_range

PARALLEL_MIN_BYTES = 32 * 2**20  # below this a single process is faster than forking

# Set in the parent before forking; the workers inherit them (no pickling of the automaton).
_JOB: dict = {}


LABEL = "scoring every stored paper"


def _rows(part: int, rng: tuple[int, int]):
    """The records of one range, counted in the part's progress slot (shared with the parent)."""
    slots, feedback = _JOB["slots"], _JOB["feedback"]
    for k, row in enumerate(iter_range(_JOB["path"], rng[0], rng[1], _JOB["superseded"]), 1):
        if not k & 4095:
            slots[part] = k
            if feedback is not None:  # scanned in this process: report directly
                feedback.progress(LABEL, k, _JOB["total"])
        yield row


def _records(scorer: Scorer, part: int, rng: tuple[int, int]) -> Iterator[tuple[int, int, dict]]:
    """The range's current records, prepared a batch at a time when the scorer batches work."""
    it = _rows(part, rng)
    if not scorer.batched:
        yield from it
        return
    # A batch of records alive at once makes the cyclic garbage collector walk them again and
    # again (~2 s per million papers measured); records hold no cycles, so it waits for the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while True:
            batch = list(islice(it, BATCH))
            if not batch:
                return
            scorer.prepare([rec for _, _, rec in batch], [off for off, _, _ in batch])
            yield from batch
    finally:
        if collecting:
            gc.enable()


def _scan(job: tuple[int, tuple[int, int]]) -> tuple[list, int, int, int, list, dict]:
    """The best candidates of one byte range; how many papers it holds; how many candidates
    were left out for matching nothing (``matched_only``; a paper is checked only when it would
    otherwise be kept, so the count is complete when fewer than ``limit`` were kept) and for
    being cross-lists; and the papers hidden by mute terms (below min_score only because of
    them): up to ``limit`` of them, and a count per mute term.

    A record whose fields are of the wrong type (a same-size hand edit, a bit flip) makes the
    scorer fail: it is reported as a :class:`DamagedLine` (the store sets it aside and the scan is
    done again). Records are validated only then: checking each one would cost a tenth of the scan."""
    try:
        return _scan_range(job)
    except (TypeError, AttributeError, ValueError, KeyError):
        rng = job[1]
        for off, _n, rec in iter_range(_JOB["path"], rng[0], rng[1], _JOB["superseded"]):
            if not valid_record(rec):  # the record the scorer could not score
                raise DamagedLine(off) from None
        raise


def _scan_range(job: tuple[int, tuple[int, int]]) -> tuple[list, int, int, int, list, dict]:
    part, rng = job
    scorer: Scorer = _JOB["scorer"]
    limit, min_score, key_of = _JOB["limit"], _JOB["min_score"], _JOB["key"]
    by_score = key_of is rank_key  # the heap's worst key then gives a score floor
    matched_only = _JOB.get("matched_only", False)
    hide_cross = _JOB.get("hide_cross_lists", False)
    mutes = scorer.has_mutes and min_score is not None
    fast = scorer.fast_score
    parts = scorer.fast_parts
    seen = unmatched = crossed = 0
    hidden: list = []  # (key, off, n) of hidden papers, the best `limit`
    hidden_by: dict[int, int] = {}

    def hide(s: float, neg: float, worst: int, rec: dict, off: int, n: int) -> None:
        if neg < 0 and s - neg >= min_score:
            hidden_by[worst] = hidden_by.get(worst, 0) + 1
            hidden.append((rank_key(s, rec), off, n))
            if limit is not None and len(hidden) > 2 * limit:
                hidden.sort()
                del hidden[limit:]

    if limit is None:
        keyed = []
        for off, n, rec in _records(scorer, part, rng):
            seen += 1
            if hide_cross and rec.get("cross_list") is True:
                crossed += 1
                continue
            s = fast(rec)
            if min_score is None or s >= min_score:
                if matched_only and s == 0 and not scorer.score(rec).matches:
                    unmatched += 1
                    continue
                keyed.append((key_of(s, rec), off, n))
            elif mutes:
                hide(*parts(rec), rec, off, n)
        keyed.sort()
        return keyed, seen, unmatched, crossed, sorted(hidden), hidden_by
    # Keep the best `limit` in a heap whose top is the worst kept; a record that
    # scores below it cannot enter, and costs no sort key.
    heap: list = []  # (negated key, off, n): heap[0] is the worst kept
    floor = float("-inf") if min_score is None else min_score
    for off, n, rec in _records(scorer, part, rng):
        seen += 1
        if hide_cross and rec.get("cross_list") is True:
            crossed += 1
            continue
        s = fast(rec)
        if s < floor:
            if mutes and s < min_score:  # (min_score is not None when there are mutes to count)
                hide(*parts(rec), rec, off, n)
            continue
        if matched_only and s == 0 and not scorer.score(rec).matches:
            unmatched += 1
            continue
        key = key_of(s, rec)
        item = (_Neg(key), off, n)
        if len(heap) < limit:
            heapq.heappush(heap, item)
            if len(heap) == limit and by_score:
                floor = max(floor, -heap[0][0].key[0])
        elif key < heap[0][0].key:
            heapq.heapreplace(heap, item)
            if by_score:
                floor = max(floor, -heap[0][0].key[0])
    hidden.sort()
    return sorted((neg.key, off, n) for neg, off, n in heap), seen, unmatched, crossed, hidden[:limit], hidden_by


class _Neg:
    """Reverses the order of a sort key, for a max-heap of the best keys."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: _Neg) -> bool:
        return other.key < self.key


def workers_wanted() -> int:
    env = os.environ.get("DIGEST_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(8, os.cpu_count() or 1))


def rank_all(store: Store, scorer: Scorer, *, limit: int | None, min_score: float | None,
             workers: int | None = None, matched_only: bool = False, hide_cross_lists: bool = False,
             stats: dict | None = None, hidden: Hidden | None = None, sort: str = "score",
             feedback: Feedback = QUIET) -> tuple[list[Scored], int]:
    """The best ``limit`` stored papers (by ``sort``, one of RANK_SORTS; ``feedback`` hears how
    far the scan is) and how many papers were scored. With ``matched_only``,
    papers that matched nothing are left out; ``stats["unmatched"]`` (when ``stats`` is given)
    is then how many, or None when not all were counted (``limit`` papers were found first). With
    ``hide_cross_lists``, arXiv cross-lists are left out too (``stats["cross_lists"]``: how many).
    The papers hidden by mute terms are counted into ``hidden`` (the best ``limit`` explained).
    A damaged line met on the way (:class:`DamagedLine`) is repaired by the store and the scan
    done again."""
    for attempt in range(3):
        try:
            return _rank_all(store, scorer, limit=limit, min_score=min_score, workers=workers,
                             matched_only=matched_only, hide_cross_lists=hide_cross_lists, stats=stats,
                             hidden=hidden, sort=sort, feedback=feedback)
        except DamagedLine:
            if attempt == 2:
                raise
            store.repair_damaged()
    raise AssertionError("unreachable")  # pragma: no cover


def _rank_all(store: Store, scorer: Scorer, *, limit: int | None, min_score: float | None,
              workers: int | None, matched_only: bool, hide_cross_lists: bool, stats: dict | None,
              hidden: Hidden | None, sort: str, feedback: Feedback) -> tuple[list[Scored], int]:
    workers = workers or workers_wanted()
    try:
        size = store.items_path.stat().st_size
    except FileNotFoundError:
        return [], 0
    if size < PARALLEL_MIN_BYTES or sys.platform == "win32":
        workers = 1
    plan = store.scan_plan(workers)
    if plan is None:
        return [], 0
    if plan.count > 10_000:
        scorer.prepare_for_scan()
    from multiprocessing.sharedctypes import RawArray

    slots = RawArray("q", len(plan.ranges))  # records scanned by each part (shared memory: seen after fork)
    inline = len(plan.ranges) == 1
    _JOB.update(scorer=scorer, limit=limit, min_score=min_score, path=plan.path,
                superseded=plan.superseded, matched_only=matched_only, hide_cross_lists=hide_cross_lists,
                key=sort_key(sort), slots=slots, total=plan.count, feedback=feedback if inline else None)
    jobs = list(enumerate(plan.ranges))
    try:
        if inline:
            parts = [_scan(jobs[0])]
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(len(plan.ranges)) as pool:
                pending = pool.map_async(_scan, jobs, chunksize=1)
                while not pending.ready():
                    pending.wait(0.2)
                    feedback.progress(LABEL, sum(slots), plan.count)
                parts = pending.get()
    finally:
        _JOB.clear()
        feedback.finished(LABEL)
    merged = heapq.merge(*(p[0] for p in parts))
    best = list(merged) if limit is None else [x for _, x in zip(range(limit), merged, strict=False)]
    seen = sum(p[1] for p in parts)
    if stats is not None:
        complete = limit is None or len(best) < limit
        stats["unmatched"] = sum(p[2] for p in parts) if complete else None
        stats["cross_lists"] = sum(p[3] for p in parts)
    # every record read before anything is added to `hidden`: a damaged line (a retry) adds nothing
    hid = _in_order(store, list(heapq.merge(*(p[4] for p in parts)))[:limit]) if hidden is not None else []
    winners = _in_order(store, best)
    if hidden is not None:
        hidden.entries.extend(scorer.score(r) for r in hid)
        for p in parts:
            for t, c in p[5].items():
                term = scorer.specs[t].text
                hidden.by_term[term] = hidden.by_term.get(term, 0) + c
    return [scorer.score(r) for r in winners], seen


def _in_order(store: Store, rows: list) -> list[dict]:
    """The records of ``(key, off, n)`` rows, in the rows' order."""
    records = store.records_at([(off, n) for _, off, n in rows])
    by_off = {off: rec for (off, _n), rec in zip(sorted((o, n) for _, o, n in rows), records, strict=True)}
    return [by_off[off] for _, off, _n in rows]
