"""Benchmark rows for learning from votes (issue 12, targets from issue 15 §2): what 3,000 votes
cost a daily ``digest show``, with the learned model cached and right after new votes.

Used by benchmarks/run.py (``learning_rows``); two stores of the same synthetic papers, one
without events and one with 3,000 votes (a third kept and tagged ``toread``, the rest
rejected, as triage writes them) plus a few mute terms and followed authors.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

VOTES = {"full": 3000, "ci": 600}
PAPERS = {"full": 10_000, "ci": 2_000}


def _vote_events(records: list[dict], n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    chosen = rng.sample(records, n)
    out = []
    for k, r in enumerate(chosen):
        at = f"2026-01-{1 + k % 28:02d}T08:{k % 60:02d}:00Z"
        if k % 3 == 0:
            out.append({"v": 1, "at": at, "type": "triage", "id": r["id"], "decision": "keep"})
            out.append({"v": 1, "at": at, "type": "tag", "id": r["id"], "tag": "toread"})
        else:
            out.append({"v": 1, "at": at, "type": "triage", "id": r["id"], "decision": "reject"})
    out += [{"v": 1, "at": "2026-02-01T08:00:00Z", "type": "mute", "term": t} for t in ("survey", "benchmark")]
    out += [{"v": 1, "at": "2026-02-01T08:00:00Z", "type": "follow", "author": r["authors"][0]}
            for r in chosen[:3] if r.get("authors")]
    return out


def prepare(data: Path, scale: str) -> tuple[Path, Path, int]:
    """(store without votes, store with votes, number of votes), generated once under ``data``."""
    from generate import make_store  # (benchmarks/ is on sys.path when run.py runs)

    n = PAPERS[scale]
    base = data / f"store-{n}-learning"
    make_store(base, n, seed=5)
    voted = data / f"store-{n}-votes"
    if not (voted / ".complete").exists():
        if voted.exists():
            shutil.rmtree(voted)
        shutil.copytree(base, voted)
    records = [json.loads(line) for line in (voted / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(voted / "events.jsonl", "w", encoding="utf-8") as fh:  # afresh: each run appends votes
        for ev in _vote_events(records, VOTES[scale]):
            fh.write(json.dumps(ev, separators=(",", ":")) + "\n")
    for name in ("learned.json", "learned-state.json"):
        (voted / name).unlink(missing_ok=True)
    return base, voted, VOTES[scale]


def cpu_once(args: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of one command (started by the
    small spawner process: see spawn.py)."""
    import os

    from spawn import log_path, spawner

    m = spawner().measure(args, log_path(), env=env, stdout=os.devnull)
    return m.wall, m.cpu, m.rss_mb


def learning_rows(scale: str, data: Path, runs: int, *, dg: list[str], env: dict, config: Path,
                  run_once, median_of, Row) -> list:
    """The daily show with and without votes, run in turns (A B A B ...: a busy machine slows both
    alike); the verdict uses the CPU time (user + sys), the wall time is shown beside it."""
    import statistics

    base, voted, n_votes = prepare(data, scale)

    def show(store: Path):
        return dg + ["--store", str(store), "--config", str(config), "show", "--limit", "20"]

    cpu_once(show(voted), env)  # builds the caches (learned.json, readinglist.json)
    cpu_once(show(base), env)
    a, b = [], []
    for _ in range(max(3, runs * 2)):
        a.append(cpu_once(show(base), env))
        b.append(cpu_once(show(voted), env))
    med = [tuple(statistics.median(x[k] for x in runs_) for k in range(3)) for runs_ in (a, b)]
    (w0, c0, m0), (w1, c1, m1) = med
    rows = [Row(f"print a 20-item digest, store of {PAPERS[scale]:,}, no votes", "(reference)", None, None, w0, m0,
                cpu=c0)]
    extra_ms = (c1 - c0) * 1000
    row = Row(f"the same with {n_votes:,} votes, learned model cached", "≤ +30 ms CPU, ≤ +10 MB", None, None, w1, m1,
              cpu=c1, note=f"CPU +{extra_ms:.0f} ms, {m1 - m0:+.0f} MB; wall +{(w1 - w0) * 1000:.0f} ms")
    row.ok = extra_ms <= 30 and (m1 - m0) <= 10
    rows.append(row)

    events = voted / "events.jsonl"
    ids = [json.loads(line)["id"] for line in (base / "items.jsonl").read_text(encoding="utf-8").splitlines()[-50:]]

    def after_new_votes(i: int):
        with open(events, "a", encoding="utf-8") as fh:  # a day's new votes: the cache is stale
            for k in range(20):
                fh.write(json.dumps({"v": 1, "at": f"2026-03-01T08:{i % 60:02d}:{k:02d}Z", "type": "triage",
                                     "id": ids[(i * 20 + k) % len(ids)], "decision": "reject" if k % 2 else "keep"},
                                    separators=(",", ":")) + "\n")
        return cpu_once(show(voted), env)

    c = [after_new_votes(i) for i in range(max(3, runs))]
    w2, c2, m2 = (statistics.median(x[k] for x in c) for k in range(3))
    rows.append(Row("the same right after 20 new votes (the model rebuilt from its state)", "(no target)",
                    None, None, w2, m2, cpu=c2))

    # digest tune: every suggestion with its eval figure before and after (issue 12 §3)
    tune = dg + ["--store", str(voted), "--config", str(config), "tune"]
    cpu_once(tune, env)  # the learned model rebuilt once after the votes above
    t = [cpu_once(tune, env) for _ in range(max(3, runs))]
    w3, c3, m3 = (statistics.median(x[k] for x in t) for k in range(3))
    rows.append(Row(f"digest tune with {n_votes:,} votes: each suggestion's eval figure on the votes replayed",
                    "(no target)", None, None, w3, m3, cpu=c3))
    return rows
