"""``digest eval``: how well your config ranks the papers you wanted, on your own history.

For every paper you tagged (optionally only some tags), the ingest run in which it first
arrived is replayed: all the papers first seen in that run are ranked with the config, and
the tagged paper's rank among them is noted, with whether it made that day's top
(``[show] limit``) and whether mute terms hid it (below ``min_score`` only because of them).

    of 41 papers you tagged, 34 (83%) were in that day's top 20; median rank 4; mute terms hid 0 of them

Replaying under another config (``digest eval --config other.toml``) shows whether a change
to your interests would help before you keep it. Only the runs that brought a tagged paper
are ranked, each with the fast scoring path, so a year of daily runs replays in seconds.
With ``[similarity]`` on, each tagged paper is ranked with the boost learnt from your other
tagged papers (a paper is never compared with itself), which flatters that boost a little:
in the real day, papers tagged later were not known yet.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import field

from digest.config import Config
from digest.ranking.rank import Tags, scorer_for
from digest.ranking.score import Scorer, rank_key
from digest.records import dataclass
from digest.store import Store


@dataclass
class PaperRank:
    id: str
    title: str
    run: int
    day: str  # when that run happened (the paper's first_seen)
    rank: int  # 1 = first of that run's papers
    pool: int  # how many papers that run brought
    score: float
    in_top: bool
    hidden: bool  # below min_score only because of mute terms

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Evaluation:
    config: str  # the config file replayed
    label: str  # "tagged" or "tagged toread, cite"
    top: int
    min_score: float
    papers: list[PaperRank] = field(default_factory=list)
    runs: int = 0  # ingest runs replayed
    scored: int = 0  # papers ranked in them

    @property
    def in_top(self) -> int:
        return sum(p.in_top for p in self.papers)

    @property
    def hidden(self) -> int:
        return sum(p.hidden for p in self.papers)

    @property
    def median_rank(self) -> float | None:
        return statistics.median(p.rank for p in self.papers) if self.papers else None

    def summary(self) -> str:
        n = len(self.papers)
        if not n:
            return f"no paper you {self.label} is in the store's history: nothing to replay"
        share = f"{self.in_top / n:.0%}"
        med = self.median_rank
        med_s = f"{med:g}" if med is not None else "-"
        return (f"of {n} paper{'s' if n != 1 else ''} you {self.label}, {self.in_top} ({share}) "
                f"{'was' if self.in_top == 1 else 'were'} in that day's top {self.top}; median rank {med_s}; "
                f"mute terms hid {self.hidden} of them")

    def to_dict(self) -> dict:
        return {"config": self.config, "label": self.label, "top": self.top, "min_score": self.min_score,
                "papers": len(self.papers), "in_top": self.in_top, "median_rank": self.median_rank,
                "hidden": self.hidden, "runs": self.runs, "scored": self.scored,
                "ranks": [p.to_dict() for p in self.papers]}


def evaluate(store: Store, cfg: Config, tags: Tags, *, only: Iterable[str] = (), top: int | None = None) -> Evaluation:
    """Replay the arrival of every paper in ``tags`` (item id -> its tags; ``only``: just the
    papers carrying one of these tags) under ``cfg``."""
    only = [t for t in only]
    wanted = {i for i, ts in tags.items() if ts and (not only or set(ts) & set(only))}
    label = "tagged " + ", ".join(only) if only else "tagged"
    ev = Evaluation(str(cfg.path), label, top or cfg.limit, cfg.min_score)
    by_run: dict[int, list[dict]] = {}
    for rec in store.get_many(wanted):
        if rec.get("first_run"):
            by_run.setdefault(rec["first_run"], []).append(rec)
    if not by_run:
        return ev
    scorer = scorer_for(cfg, store, tags)
    for run in sorted(by_run):
        pool = list(store.select("first_run=?", (run,)))
        keyed: Mapping[str, tuple] = {r["id"]: rank_key(scorer.fast_score(r), r) for r in pool}
        ordered = sorted(keyed.values())
        ev.runs += 1
        ev.scored += len(pool)
        for rec in by_run[run]:
            key = keyed.get(rec["id"])
            if key is None:  # pragma: no cover - a record is in its own run
                continue
            score = -key[0]
            rank = 1 + _count_below(ordered, key)
            hidden = scorer.muted(rec, score, cfg.min_score) is not None
            ev.papers.append(PaperRank(rec["id"], rec.get("title") or "", run, (rec.get("first_seen") or "")[:10],
                                       rank, len(pool), score, rank <= ev.top and score >= cfg.min_score, hidden))
    ev.papers.sort(key=lambda p: (p.day, p.rank))
    return ev


def _count_below(ordered: list[tuple], key: tuple) -> int:
    """How many keys sort before ``key`` (better ranked)."""
    import bisect

    return bisect.bisect_left(ordered, key)


# --------------------------------------------------------------------------- votes replayed
@dataclass
class VoteReplay:
    """Your votes replayed under one config: of the papers you kept (rejected), how many were in
    the top of the ingest run that brought them. A better config has more kept papers and fewer
    rejected ones there."""

    top: int
    kept: int = 0
    rejected: int = 0
    kept_in_top: int = 0
    rejected_in_top: int = 0
    runs: int = 0  # ingest runs replayed
    scored: int = 0  # papers ranked in them

    def figure(self) -> str:
        return (f"{self.kept_in_top} of {self.kept} kept and {self.rejected_in_top} of {self.rejected} "
                f"rejected papers in their day's top {self.top}")

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class VotePools:
    """The ingest runs that brought a voted paper, read once: every paper of each run, and the
    part of each paper's sort key that is not its score (date, title, id)."""

    votes: Mapping[str, int]
    runs: list[list[dict]]
    tails: list[list[tuple]] = field(default_factory=list)


def vote_pools(store: Store, votes: Mapping[str, int]) -> VotePools:
    """Every paper of each ingest run that first brought a paper with a vote (+1 kept, -1 rejected)."""
    runs = sorted({r["first_run"] for r in store.get_many([i for i, v in votes.items() if v]) if r.get("first_run")})
    by_run: dict[int, list[dict]] = {}
    for k in range(0, len(runs), 500):  # (SQLite's limit on the number of parameters)
        chunk = runs[k:k + 500]
        for rec in store.select(f"first_run IN ({','.join('?' * len(chunk))})", tuple(chunk)):
            by_run.setdefault(rec["first_run"], []).append(rec)
    pools = [by_run[r] for r in sorted(by_run)]
    return VotePools(votes, pools, [[(*rank_key(0.0, r)[1:], r["id"]) for r in pool] for pool in pools])


def pool_scores(pools: VotePools, scorer: Scorer) -> list[list[float]]:
    """Every paper's score in each run, with ``scorer`` (the fast path)."""
    return [[scorer.fast_score(r) for r in pool] for pool in pools.runs]


RunCounts = tuple[int, int, int, int]  # kept, rejected, kept in the top, rejected in the top


def run_counts(pools: VotePools, k: int, scores: list[float], top: int, min_score: float) -> RunCounts:
    """Rank run ``k``'s papers by ``scores`` (as ``digest eval`` does) and count the voted papers
    in its top ``top`` (with at least ``min_score``)."""
    pool, tails, votes = pools.runs[k], pools.tails[k], pools.votes
    order = sorted(range(len(pool)), key=lambda i: (-scores[i], tails[i]))
    kept = rejected = kept_top = rejected_top = 0
    for rank, i in enumerate(order, 1):
        v = votes.get(pool[i]["id"], 0)
        if not v:
            continue
        in_top = rank <= top and scores[i] >= min_score
        if v > 0:
            kept += 1
            kept_top += in_top
        else:
            rejected += 1
            rejected_top += in_top
    return kept, rejected, kept_top, rejected_top


def total(pools: VotePools, counts: list[RunCounts], top: int) -> VoteReplay:
    out = VoteReplay(top, runs=len(pools.runs), scored=sum(len(p) for p in pools.runs))
    for kept, rejected, kept_top, rejected_top in counts:
        out.kept += kept
        out.rejected += rejected
        out.kept_in_top += kept_top
        out.rejected_in_top += rejected_top
    return out


def replay_votes(pools: VotePools, scorer: Scorer, top: int, min_score: float) -> VoteReplay:
    """The votes replayed under ``scorer``: every paper of the pools scored, ranked and counted."""
    scores = pool_scores(pools, scorer)
    return total(pools, [run_counts(pools, k, s, top, min_score) for k, s in enumerate(scores)], top)
