"""Concurrent runs: 8 ``digest`` processes on one store at once.

``digest ingest`` (overlapping dumps: the same papers from several processes),
``digest run`` (configured sources) and ``digest tag`` start together, with
readers (``digest show --all``) polling meanwhile. Afterwards no record is lost
or duplicated (each paper once in ``show --all``), every line of items.jsonl
and events.jsonl is one whole JSON object (no interleaving), and every process
either finished (0) or, with a short ``lock_timeout``, exited 75 with the
documented "store busy" message within its bounded wait.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections import Counter
from datetime import date

import pytest
from stresskit import digest, dump_text, jsonl_records, show_all, spawn, tags_in, write_config, write_dump

from digest.errors import EXIT_BUSY
from digest.sources.detect import parse_bytes


def titles(path) -> set[str]:
    return {i.title for i in parse_bytes(path.read_bytes(), source="x", ref_date=date.today()).items}


def overlapping_dump(path, own: str, n: int, shared: int) -> None:
    """``n`` papers of its own plus ``shared`` papers that other dumps carry too."""
    mine = dump_text(own, n)
    common = dump_text("Shared", shared).split("Nov 20\n\n", 1)[1]
    path.write_text(mine + "\n" + common, encoding="utf-8")


@pytest.fixture
def scene(home, tmp_path):
    """A stocked store and the inputs of 8 processes."""
    write_dump(tmp_path / "base.txt", "Base", 150)
    r = digest(home, "ingest", str(tmp_path / "base.txt"))
    assert r.returncode == 0, r.stderr
    base_ids = [p["id"] for p in show_all(home)]
    inputs = []
    for k in range(3):
        p = tmp_path / f"in{k}.txt"
        overlapping_dump(p, f"Ingest{k}", 300, 150)
        inputs.append(p)
    src = tmp_path / "src"
    src.mkdir()
    for k in range(2):
        overlapping_dump(src / f"day{k}.txt", f"Source{k}", 300, 150)
    return {"base": base_ids, "inputs": inputs, "src": src, "tmp": tmp_path}


def start_all(home, scene, cfg, rng_seed=0):
    """3 ingest, 2 run, 3 tag processes started together: [(kind, argv, stdin, Popen, t0)]."""
    import random

    rnd = random.Random(rng_seed)
    plan = [("ingest", ["ingest", str(p)], None) for p in scene["inputs"]]
    plan += [("run", ["run", "--format", "json"], None) for _ in range(2)]
    for k in range(3):
        ids = rnd.sample(scene["base"], 60)
        plan.append(("tag", ["tag", "-", "-t", f"c{k}"], "\n".join(ids).encode()))
    procs = []
    for kind, argv, stdin in plan:
        procs.append((kind, argv, stdin, spawn(home, *argv, config=cfg, input=stdin), time.monotonic()))
    return procs


def finish(procs):
    """Wait for all (each in its own thread, so each one's time is its own)."""
    out = [None] * len(procs)

    def wait(i, kind, argv, stdin, p, t0):
        stdout, stderr = p.communicate(timeout=300)
        out[i] = {"kind": kind, "argv": argv, "stdin": stdin, "rc": p.returncode,
                  "stderr": stderr.decode("utf-8", "replace"), "seconds": time.monotonic() - t0}

    threads = [threading.Thread(target=wait, args=(i, *x)) for i, x in enumerate(procs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(320)
    assert all(out), "a process did not finish"
    return out


class Readers:
    """Processes running ``digest show --all --format json`` over and over meanwhile."""

    def __init__(self, home, cfg, n=2):
        self.home, self.cfg = home, cfg
        self.results: list[tuple[int, str, str]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(n)]

    def loop(self):
        while not self.stop.is_set():
            r = digest(self.home, "show", "--all", "--unmatched", "--limit", "100000", "--format", "json", config=self.cfg)
            self.results.append((r.returncode, r.stdout, r.stderr))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(120)


def check_readers(readers: Readers):
    assert readers.results, "the readers never ran"
    for rc, out, err in readers.results:
        if rc == EXIT_BUSY:
            assert "busy" in err
            continue
        assert rc == 0, err
        papers = json.loads(out)
        ids = Counter(p["id"] for p in papers)
        assert max(ids.values(), default=1) == 1, "a reader saw a paper twice"
        titles_seen = Counter(p["title"] for p in papers)
        assert max(titles_seen.values(), default=1) == 1, "a reader saw a paper twice"


def check_outcome(home, scene, results, cfg):
    """Every paper of a process that finished is there once; lines whole; tags kept."""
    expected = {f"Base {i}:" for i in range(150)}
    papers = show_all(home, cfg)
    stored = Counter(p["title"] for p in papers)
    dup = [t for t, n in stored.items() if n > 1]
    assert not dup, f"duplicated records: {dup[:5]}"
    want: set[str] = set()
    for r in results:
        if r["rc"] != 0:
            continue
        if r["kind"] == "ingest":
            want |= titles(scene["tmp"] / r["argv"][1].rsplit("/", 1)[1])
        elif r["kind"] == "run":
            for p in scene["src"].iterdir():
                want |= titles(p)
    missing = want - set(stored)
    assert not missing, f"lost records: {sorted(missing)[:5]}"
    assert all(any(t.startswith(e) for t in stored) for e in expected)
    jsonl_records(home / "items.jsonl")
    events = jsonl_records(home / "events.jsonl")
    have = tags_in(home)
    for r in results:
        if r["kind"] == "tag" and r["rc"] == 0:
            tag = r["argv"][-1]
            ids = r["stdin"].decode().split()
            assert {(i, tag) for i in ids} <= have, f"tags of a finished process lost ({tag})"
    # each (id, tag) recorded once: concurrent taggers did not both write it
    pairs = Counter((e["id"], e["tag"]) for e in events if e.get("type") == "tag")
    assert max(pairs.values(), default=1) == 1
    return papers


def test_eight_processes_at_once_all_finish(home, scene):
    cfg = write_config(scene["tmp"] / "config.toml", lock_timeout=120,
                       sources={"saved": {"path": str(scene["src"] / "*.txt")}})
    with Readers(home, cfg) as readers:
        results = finish(start_all(home, scene, cfg))
    bad = [r for r in results if r["rc"] != 0]
    assert not bad, bad
    check_readers(readers)
    print(f"{len(readers.results)} concurrent reads")
    papers = check_outcome(home, scene, results, cfg)
    # 150 base + 3x300 ingest + 2x300 sources + 150 shared
    assert len(papers) == 150 + 900 + 600 + 150


def test_short_lock_timeout_gives_busy_exit_75_within_the_wait(home, scene):
    timeout = 0.4
    cfg = write_config(scene["tmp"] / "config.toml", lock_timeout=timeout,
                       sources={"saved": {"path": str(scene["src"] / "*.txt")}})
    results = finish(start_all(home, scene, cfg, rng_seed=1))
    for r in results:
        assert r["rc"] in (0, EXIT_BUSY), r
        if r["rc"] == EXIT_BUSY:
            errs = [x for x in r["stderr"].splitlines() if x.startswith("Error:")]
            assert len(errs) == 1 and "store busy" in errs[0] and "try again later" in errs[0], r["stderr"]
            assert f"waited {timeout:g}s" in errs[0]
            # start-up + the bounded wait + slack for a loaded 2-core machine
            assert r["seconds"] < timeout + 8, r
    assert any(r["rc"] == 0 for r in results)
    print("exit codes with lock_timeout 0.4:", sorted(r["rc"] for r in results))
    check_outcome(home, scene, results, cfg)
    # whoever was busy succeeds later: run them again, one after the other
    for r in results:
        if r["rc"] == EXIT_BUSY:
            again = digest(home, *r["argv"], config=cfg, input=r["stdin"])
            assert again.returncode == 0, again.stderr
            r["rc"] = 0
    papers = check_outcome(home, scene, results, cfg)
    assert len(papers) == 150 + 900 + 600 + 150


def test_a_held_lock_makes_every_writer_exit_75(home, scene):
    """The lock held by someone else (flock(1) on the lock file, as another digest would)."""
    if not shutil.which("flock"):
        pytest.skip("flock(1) not installed")
    cfg = write_config(scene["tmp"] / "config.toml", lock_timeout=0.5,
                       sources={"saved": {"path": str(scene["src"] / "*.txt")}})
    holder = subprocess.Popen(["flock", str(home / "lock"), "-c", "echo held; sleep 30"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        before = (home / "items.jsonl").read_bytes()
        results = finish(start_all(home, scene, cfg))
    finally:
        holder.kill()
        holder.wait()
    for r in results:
        assert r["rc"] == EXIT_BUSY, r
        assert "store busy" in r["stderr"] and r["seconds"] < 0.5 + 8, r
    assert (home / "items.jsonl").read_bytes() == before


def test_readers_see_every_paper_once_while_writers_update_them(home, tmp_path):
    """Writers rewrite every paper (new upvotes: a new version of each line) while readers
    scan: a reader sees each paper exactly once, never an old and a new version, never none."""
    n = 400
    versions = []
    for v in range(6):
        p = tmp_path / f"v{v}.txt"
        p.write_text(dump_text("Versioned", n).replace(" 2025 ", f" 2025 {v + 1}"), encoding="utf-8")
        versions.append(p)
    cfg = write_config(tmp_path / "config.toml", lock_timeout=60)
    r = digest(home, "ingest", str(versions[0]), config=cfg)
    assert r.returncode == 0, r.stderr
    with Readers(home, cfg, n=2) as readers:
        for p in versions[1:]:
            r = digest(home, "ingest", str(p), config=cfg)
            assert r.returncode == 0, r.stderr
    check_readers(readers)
    counts = Counter(len(json.loads(out)) for rc, out, _ in readers.results if rc == 0)
    assert set(counts) == {n}, f"readers saw {dict(counts)} papers instead of {n} each time"


def test_concurrent_email_runs_never_mail_a_paper_twice(home, tmp_path):
    """4 `digest run --email` and 4 `digest ingest` at once, new papers arriving meanwhile:
    every paper is mailed, none twice, and every `sent` event names a message the server took."""
    pytest.importorskip("aiosmtpd")
    from stresskit import Sink

    sink = Sink()
    port = sink.start()
    try:
        src = tmp_path / "src"
        src.mkdir()
        write_dump(src / "day0.txt", "Mailed0", 40)
        cfg = write_config(tmp_path / "config.toml", lock_timeout=120, email_port=port,
                           sources={"saved": {"path": str(src / "*.txt")}})
        r = digest(home, "run", "--email", config=cfg)  # the first mail sets the starting point
        assert r.returncode == 0, r.stderr
        procs = []
        for k in range(1, 5):
            write_dump(src / f"day{k}.txt", f"Mailed{k}", 40)
            extra = tmp_path / f"extra{k}.txt"
            write_dump(extra, f"Extra{k}", 40)
            procs.append(spawn(home, "run", "--email", config=cfg))
            procs.append(spawn(home, "ingest", str(extra), config=cfg))
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()
        r = digest(home, "run", "--email", config=cfg)  # whatever came in last
        assert r.returncode == 0, r.stderr
        messages = sink.snapshot()
        per_id = Counter(x for m in messages for x in m["ids"])
        assert per_id and max(per_id.values()) == 1, "a paper was mailed twice"
        sent = [e for e in jsonl_records(home / "events.jsonl") if e.get("type") == "sent"]
        assert {e["message_id"] for e in sent} == {m["message_id"] for m in messages}
        papers = show_all(home, cfg)
        assert {p["short_id"] for p in papers} == set(per_id), "a paper was never mailed"
    finally:
        sink.stop()
