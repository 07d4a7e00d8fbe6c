"""Benchmark row for the similarity boost (issue 15 §2): what 3,000 tagged papers and
``[similarity] tags = ["toread"]`` add to the daily ``digest run`` of 100 new papers, with the
profile cached beside the index (ranking/similarity.py).

Used by benchmarks/run.py (``similarity_rows``): two copies of the same synthetic store (the one
benchmarks/learning.py generates), both with the same tagged papers; the same fresh dumps are
run into each, one with ``[similarity]`` on, one without, in turns (A B A B ...: a busy machine
slows both alike). The verdict uses the CPU time (user + sys); the wall time is shown beside it.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
from pathlib import Path

TAGGED = {"full": 3000, "ci": 600}
PAPERS = {"full": 10_000, "ci": 2_000}


def _stores(data: Path, scale: str) -> tuple[Path, Path]:
    """(store without [similarity], store with it): copies, made afresh, of one store with the
    same tagged papers."""
    from generate import make_store  # (benchmarks/ is on sys.path when run.py runs)

    n = PAPERS[scale]
    base = data / f"store-{n}-learning"
    make_store(base, n, seed=5)
    with open(base / "items.jsonl", encoding="utf-8") as fh:  # (ids only: this process stays small, see
        ids = [json.loads(line)["id"] for line in fh]  # run.generate)
    chosen = random.Random(11).sample(ids, TAGGED[scale])
    out = []
    for name in ("off", "on"):
        dst = data / f"store-{n}-similarity-{name}"
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(base, dst)
        with open(dst / "events.jsonl", "w", encoding="utf-8") as fh:
            for k, item_id in enumerate(chosen):
                fh.write(json.dumps({"v": 1, "at": f"2026-01-{1 + k % 28:02d}T08:{k % 60:02d}:00Z", "type": "tag",
                                     "id": item_id, "tag": "toread"}, separators=(",", ":")) + "\n")
        out.append(dst)
    return out[0], out[1]


def similarity_rows(scale: str, data: Path, runs: int, *, dg: list[str], env: dict, config: Path,
                    fresh_dump, cpu_once, Row) -> list:
    off, on = _stores(data, scale)
    text = config.read_text()
    sim = '\n[similarity]\ntags = ["toread"]\n'

    def run(store: Path, dump: Path, similarity: bool):
        cfg = data / f"run-similarity-{'on' if similarity else 'off'}.toml"
        cfg.write_text(text + (sim if similarity else "") + f'\n[sources.today]\npath = "{dump}"\n')
        return cpu_once(dg + ["--store", str(store), "--config", str(cfg), "run", "--force", "--limit", "20"], env)

    # warm-up (not measured): the reading list's cache, the profile built and cached once
    dump = fresh_dump(data)
    run(off, dump, False)
    run(on, dump, True)
    a, b = [], []
    for _ in range(max(3, runs * 2)):  # the same 100 new papers into each store
        dump = fresh_dump(data)
        a.append(run(off, dump, False))
        b.append(run(on, dump, True))
    (w0, c0, m0), (w1, c1, m1) = (tuple(statistics.median(x[k] for x in s) for k in range(3)) for s in (a, b))
    n = TAGGED[scale]
    rows = [Row(f"daily run of 100 new papers, store of {PAPERS[scale]:,}, {n:,} tagged, [similarity] off",
                "(reference)", None, None, w0, m0, cpu=c0)]
    extra = (c1 - c0) * 1000
    note = f"CPU +{extra:.0f} ms, {m1 - m0:+.0f} MB; wall +{(w1 - w0) * 1000:.0f} ms"
    row = Row(f"the same with [similarity] on (profile of the {n:,} tagged papers cached)", "≤ +30 ms CPU, ≤ +10 MB",
              None, None, w1, m1, cpu=c1, note=note)
    row.ok = extra <= 30 and (m1 - m0) <= 10
    rows.append(row)
    return rows
