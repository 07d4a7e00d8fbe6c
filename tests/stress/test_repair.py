"""Issue 11: kills and readers while the store repairs itself, and edits the index cannot see.

* ``digest note`` killed at random moments (the kill tests had ingest, tag, run --email);
* readers polling (``show --all``, ``show``, ``list``) during a kill loop: each exits 0 and
  sees every paper once, including every paper of a command that had finished before it
  started;
* kills during a set-aside repair (a garbage line cut out of items.jsonl: index pass,
  rewrite, reindex) at random moments and at the moment the line is kept aside, and kills
  during an index rebuild: afterwards no damaged line is left in items.jsonl (it is in
  items.jsonl.rejected, byte for byte) and every paper is there once (defect 9);
* readers racing a repair: the repairer and a reader are frozen (SIGSTOP) at the moments
  that matter, so the race happens on every run, not 2 runs in 100 (defect 10);
* same-size in-place edits (the size, inode and last bytes the index checks are kept): every
  command sets the line aside instead of a traceback or "delete index.sqlite" (defect 11).

``DIGEST_STRESS_KILLS`` sets the kills (a third of it per repair loop, half for note),
``DIGEST_STRESS_MB`` the size of the repaired store (16 -> 1.5 MB, 200 -> 10 MB), ``DIGEST_STRESS_SEED``
replays a run.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from promisekit import (
    assert_no_traceback,
    edit_in_place,
    error_lines,
    finish,
    freeze,
    insert_line,
    lines_of,
    opened,
    rejected_raw,
    thaw,
    wait_for,
)
from stresskit import (
    BIG_MB,
    KILLS,
    digest,
    dump_text,
    jsonl_records,
    kill_after,
    replay,
    show_all,
    spawn,
    write_config,
    write_dump,
)
from test_concurrency import Readers as PollingReaders

REPAIR_KILLS = max(4, KILLS // 3)
NOTE_KILLS = max(6, KILLS // 2)
REPAIR_PAPERS = max(1500, BIG_MB * 50)  # about 1 kB a paper: 1.5 MB at CI, 10 MB for the long run


def timed(fn, *a, **kw):
    t0 = time.monotonic()
    out = fn(*a, **kw)
    return out, time.monotonic() - t0


def moment(rng, t_run: float) -> float:
    return t_run * rng.uniform(0.15, 1.05)


# --------------------------------------------------------------------------- readers
class Readers(PollingReaders):
    """Reader processes polling while something else happens (test_concurrency's, with several
    commands). Each read records what had certainly finished before it started (``expected()``),
    to check it saw all of that."""

    COMMANDS = (["show", "--all", "--unmatched", "--limit", "1000000", "--format", "json"],
                ["show", "--unmatched", "--limit", "1000000", "--format", "json"],
                ["list", "--untagged", "--format", "json"])

    def __init__(self, home, cfg=None, expected=lambda: set(), commands=COMMANDS):
        super().__init__(home, cfg, n=0)
        self.expected = expected
        self.results: list = []  # (command, papers finished before it, CompletedProcess)
        self.threads = [threading.Thread(target=self.loop, args=(c,), daemon=True) for c in commands]

    def loop(self, cmd=None):
        while not self.stop.is_set():
            before = set(self.expected())
            r = digest(self.home, *cmd, config=self.cfg)
            self.results.append((cmd, before, r))

    def check(self, seed=None) -> int:
        assert self.results, "the readers never ran"
        for cmd, before, r in self.results:
            assert_no_traceback(r, " ".join(cmd))
            assert r.returncode == 0, f"a reader failed: {' '.join(cmd)}: {r.stderr} {replay(seed) if seed else ''}"
            papers = json.loads(r.stdout)
            ids = Counter(p["id"] for p in papers)
            assert max(ids.values(), default=1) == 1, f"{' '.join(cmd)} saw a paper twice"
            titles = Counter(p["title"] for p in papers)
            assert max(titles.values(), default=1) == 1, f"{' '.join(cmd)} saw a paper twice"
            if cmd[1] == "--all":
                missing = before - set(titles)
                assert not missing, f"show --all missed {len(missing)} finished papers, e.g. {sorted(missing)[:3]}"
        return len(self.results)


# --------------------------------------------------------------------------- note
def test_kill_note_at_random_moments(home, tmp_path, rng, request):
    write_dump(tmp_path / "base.txt", "Noted", 60)
    assert digest(home, "ingest", str(tmp_path / "base.txt")).returncode == 0
    ids = [p["id"] for p in show_all(home)]
    expected: set[tuple[str, str]] = set()

    def notes() -> set[tuple[str, str]]:
        return {(e["id"], e["text"]) for e in jsonl_records(home / "events.jsonl") if e.get("type") == "note"}

    (r, t_run) = timed(digest, home, "note", ids[0][:8], "first note")
    assert r.returncode == 0, r.stderr
    expected.add((ids[0], "first note"))
    kills = 0
    for k in range(1, NOTE_KILLS + 1):
        pid = rng.choice(ids)
        text = f"note {k}: compare with {rng.randrange(10**6)}"
        (killed, rc, err), took = timed(kill_after, spawn(home, "note", pid[:8], text), moment(rng, t_run))
        t_run = t_run if killed else took
        kills += killed
        assert killed or rc == 0, f"note {k} failed on its own ({rc}): {err} {replay(request.node.stress_seed)}"
        assert len(show_all(home)) == 60
        have = notes()
        assert expected <= have, f"finished notes lost: {sorted(expected - have)[:3]}"
        if not killed:
            expected.add((pid, text))
        r = digest(home, "note", pid[:8])  # the user's view: the notes print
        assert r.returncode == 0, r.stderr
        for i, t in expected:
            if i == pid:
                assert t in r.stdout
    r = digest(home, "list", "--format", "json")
    assert r.returncode == 0, r.stderr
    shown = {(e["id"], n if isinstance(n, str) else n.get("text")) for e in json.loads(r.stdout)
             for n in e.get("notes") or []}
    assert expected <= shown
    print(f"note: {kills} of {NOTE_KILLS} runs killed")
    assert kills >= max(1, NOTE_KILLS // 4), f"only {kills} of {NOTE_KILLS} runs were killed before they finished"


# --------------------------------------------------------------------------- readers during kills
def test_readers_poll_while_ingests_are_killed(home, tmp_path, rng, request):
    """Readers see every finished paper once while ingests are killed around them (torn lines,
    an index behind the JSONL, repairs under the lock)."""
    finished: set[str] = set()
    paths = []
    for k in range(REPAIR_KILLS + 1):
        p = tmp_path / f"day{k}.txt"
        p.write_text(dump_text(f"Polled{k}", 150), encoding="utf-8")
        paths.append(p)
    (r, t_run) = timed(digest, home, "ingest", str(paths[0]))
    assert r.returncode == 0
    finished |= {p["title"] for p in show_all(home)}
    kills = 0
    with Readers(home, expected=lambda: set(finished), commands=Readers.COMMANDS[:2]) as readers:
        for k in range(1, REPAIR_KILLS + 1):
            (killed, rc, err), took = timed(kill_after, spawn(home, "ingest", str(paths[k])), moment(rng, t_run))
            t_run = t_run if killed else took
            kills += killed
            assert killed or rc == 0, err
            r = digest(home, "ingest", str(paths[k]))
            assert r.returncode == 0, r.stderr
            finished |= {p["title"] for p in show_all(home)}
    n = readers.check(request.node.stress_seed)
    assert len(finished) == 150 * (REPAIR_KILLS + 1)
    print(f"{n} reads during {kills} killed ingests")


# --------------------------------------------------------------------------- kills during a repair
@pytest.fixture
def big_store(home, tmp_path):
    """A store of REPAIR_PAPERS papers in two runs (so lines are superseded too), one tag."""
    n = REPAIR_PAPERS
    (tmp_path / "a.txt").write_text(dump_text("Repaired", n), encoding="utf-8")
    (tmp_path / "b.txt").write_text(dump_text("Repaired", n // 3).replace(" 2025 ", " 2025 7"), encoding="utf-8")
    for name in ("a.txt", "b.txt"):
        r = digest(home, "ingest", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
    papers = show_all(home)
    assert len(papers) == n
    assert digest(home, "tag", papers[0]["short_id"], "keep").returncode == 0
    return {p["title"] for p in papers}


def check_repaired(home, titles: set[str], garbage: list[bytes]) -> None:
    """After a complete command: no damaged line left, each kept aside, every paper once."""
    papers = show_all(home)
    seen = Counter(p["title"] for p in papers)
    assert set(seen) == titles and max(seen.values()) == 1, "papers lost or doubled"
    left = set(lines_of(home / "items.jsonl")) & set(garbage)
    assert not left, f"damaged lines left in items.jsonl for good: {sorted(left)[:3]}"
    kept = set(rejected_raw(home))
    assert set(garbage) <= kept, f"damaged lines lost: {sorted(set(garbage) - kept)[:3]}"


def test_kill_during_a_set_aside_repair(home, tmp_path, rng, request, big_store):
    """Half the kills at random moments of the repairing command, half the moment the damaged
    line is kept aside in items.jsonl.rejected (the rewrite of items.jsonl comes next)."""
    items = home / "items.jsonl"
    rejected = home / "items.jsonl.rejected"
    cmd = ["show", "--all", "--unmatched", "--limit", "1", "--format", "json"]
    garbage = [b"garbage line 0: {not a record"]
    insert_line(items, garbage[0], rng.randrange(1, REPAIR_PAPERS))
    (r, t_run) = timed(digest, home, *cmd)  # one whole repair, timed
    assert r.returncode == 0 and "kept aside" in r.stderr, r.stderr
    check_repaired(home, big_store, garbage)
    kills = 0
    for k in range(1, REPAIR_KILLS + 1):
        bad = b"garbage line %d: {not a record" % k
        garbage.append(bad)
        insert_line(items, bad, rng.randrange(1, REPAIR_PAPERS))
        size = rejected.stat().st_size
        proc = spawn(home, *cmd)
        if k % 2:
            assert wait_for(lambda size=size, proc=proc: rejected.stat().st_size > size or proc.poll() is not None, 60)
            killed = proc.poll() is None
            if killed:
                proc.kill()
            finish(proc)
        else:
            killed, _, _ = kill_after(proc, moment(rng, t_run))
        kills += killed
        check_repaired(home, big_store, garbage)
    print(f"set-aside repair: {kills} of {REPAIR_KILLS} killed")
    assert kills >= max(1, REPAIR_KILLS // 4), replay(request.node.stress_seed)


def test_kill_during_an_index_rebuild(home, tmp_path, rng, request, big_store):
    cmd = ["show", "--all", "--unmatched", "--limit", "1", "--format", "json"]
    for p in home.glob("index.sqlite*"):
        p.unlink()
    (_, t_run) = timed(digest, home, *cmd)
    kills = 0
    for k in range(REPAIR_KILLS):
        for p in home.glob("index.sqlite*"):
            p.unlink()
        killed, rc, err = kill_after(spawn(home, *(["ingest", "-"] if k % 2 else cmd),
                                           input=dump_text(f"Rebuilt{k}", 5).encode() if k % 2 else None),
                                     moment(rng, t_run))
        kills += killed
        assert killed or rc == 0, err
        papers = show_all(home)
        seen = Counter(p["title"] for p in papers)
        assert max(seen.values()) == 1 and set(seen) >= big_store, replay(request.node.stress_seed)
    r = digest(home, "tags", "--format", "json")
    assert json.loads(r.stdout) == {"keep": 1}
    print(f"index rebuild: {kills} of {REPAIR_KILLS} killed")


# --------------------------------------------------------------------------- readers racing a repair
def test_readers_racing_a_repair(home, tmp_path, rng, request, big_store):
    """The repairer is frozen the moment it keeps a damaged line aside (its rewrite comes next);
    a reader is started and frozen once it has items.jsonl open; the repairer finishes; the
    reader goes on. Whatever it had read of the index and the file, it must exit 0 and show
    every paper once (it used to fail with "index points at a damaged record")."""
    items = home / "items.jsonl"
    rejected = home / "items.jsonl.rejected"
    garbage: list[bytes] = []
    rounds = max(3, REPAIR_KILLS // 4)
    reads = 0
    for k in range(rounds):
        bad = b"race garbage %d" % k
        garbage.append(bad)
        insert_line(items, bad, rng.randrange(1, REPAIR_PAPERS))
        size = rejected.stat().st_size if rejected.exists() else 0
        repairer = spawn(home, "show", "--all", "--unmatched", "--limit", "1", "--format", "json")
        assert wait_for(lambda size=size, repairer=repairer: (rejected.exists() and rejected.stat().st_size > size)
                        or repairer.poll() is not None,
                        60)
        freeze(repairer)
        readers = []
        for cmd in (["show", "--all", "--unmatched", "--limit", "1000000", "--format", "json"],
                    ["show", "--unmatched", "--limit", "1000000", "--format", "json"]):
            reader = spawn(home, *cmd)
            # frozen while it reads the file (or, if it waits for the lock, after a while)
            wait_for(lambda reader=reader: opened(reader.pid, items) or reader.poll() is not None, 1.5, interval=0.0005)
            freeze(reader)
            readers.append((cmd, reader))
        thaw(repairer)
        rep = finish(repairer)
        assert rep.returncode == 0, rep.stderr
        for cmd, reader in readers:
            thaw(reader)
            r = finish(reader)
            reads += 1
            assert_no_traceback(r, " ".join(cmd))
            assert r.returncode == 0, f"a reader racing a repair failed: {r.stderr} {replay(request.node.stress_seed)}"
            got = json.loads(r.stdout)
            seen = Counter(p["title"] for p in got)
            assert max(seen.values(), default=1) == 1, "a reader racing a repair saw a paper twice"
            if cmd[1] == "--all":
                assert set(seen) == big_store, f"a reader racing a repair missed {len(big_store - set(seen))} papers"
        check_repaired(home, big_store, garbage)
    # and the way: readers polling while the repairs happen
    with Readers(home, expected=lambda: big_store) as polling:
        for k in range(max(2, rounds - 1)):
            bad = b"polled garbage %d" % k
            garbage.append(bad)
            insert_line(items, bad, rng.randrange(1, REPAIR_PAPERS))
            r = digest(home, "show", "--all", "--unmatched", "--limit", "1")
            assert r.returncode == 0, r.stderr
            time.sleep(0.2)
    reads += polling.check(request.node.stress_seed)
    check_repaired(home, big_store, garbage)
    print(f"{reads} reads racing {2 * rounds} repairs")


# --------------------------------------------------------------------------- same-size edits
def _same_size_edits(line: bytes) -> dict[str, bytes]:
    rec = json.loads(line)
    title = json.dumps(rec["title"], ensure_ascii=False).encode()
    abstract = json.dumps(rec["abstract"], ensure_ascii=False).encode()
    edits = {
        "title a number": line.replace(b'"title":' + title, b'"title":' + b"7" * len(title)),
        "abstract a list": line.replace(b'"abstract":' + abstract,
                                        b'"abstract":[' + b" " * (len(abstract) - 2) + b"]"),
        "flag a string": line.replace(b'"truncated":false', b'"truncated":"abc"'),
        "bit flip": line[:1].replace(b"{", b"[") + line[1:],
        "binary": line[:10] + b"\xff\xfe\x00\x01" + line[14:],
        "not an id": line.replace(b'"id":"', b'"id":5', 1)[:len(line)],
    }
    for name, new in edits.items():
        assert len(new) == len(line) and new != line, name
    return edits


EDITS = ["title a number", "abstract a list", "flag a string", "bit flip", "binary", "not an id"]


@pytest.mark.parametrize("edit", EDITS)
def test_same_size_in_place_edit_is_set_aside_by_every_command(home, tmp_path, edit):
    write_dump(tmp_path / "a.txt", "Inplace", 30)
    write_dump(tmp_path / "new.txt", "Fresh", 3)
    assert digest(home, "ingest", str(tmp_path / "a.txt")).returncode == 0
    papers = {p["title"]: p for p in show_all(home)}
    assert digest(home, "tag", next(iter(papers.values()))["short_id"], "keep").returncode == 0
    items = home / "items.jsonl"
    lineno = 12
    line = lines_of(items)[lineno]
    victim = json.loads(line)
    bad = _same_size_edits(line)[edit]
    cfg = write_config(tmp_path / "config.toml", extra='\n[email]\nfrom = "a@example.org"\nto = "b@example.org"\n')
    commands = [["show", "--all", "--unmatched", "--limit", "100", "--format", "json"], ["show", "--unmatched", "--limit", "100", "--format", "json"],
                ["list", "--untagged", "--format", "json"], ["explain", victim["id"][:8]], ["tag", victim["id"][:8], "x"],
                ["email", "--dry-run"], ["ingest", str(tmp_path / "new.txt")]]
    edit_in_place(items, lineno, bad)
    for k, cmd in enumerate(commands):
        r = digest(home, *cmd, config=cfg)
        assert_no_traceback(r, f"{edit}: {cmd}")
        assert "delete index" not in r.stderr and "damaged record" not in r.stderr, r.stderr
        if cmd[0] in ("explain", "tag") and r.returncode != 0:  # the victim was set aside: unknown now
            assert len(error_lines(r.stderr)) == 1 and "no item" in r.stderr, r.stderr
        else:
            assert r.returncode == 0, (cmd, r.stderr)
        if k == 0:
            assert "kept aside" in r.stderr, r.stderr
            shown = {p["title"] for p in json.loads(r.stdout)}
            assert shown == set(papers) - {victim["title"]}
    assert bad not in lines_of(items)
    assert bad in rejected_raw(home)
    final = show_all(home, cfg)
    assert {p["title"] for p in final} >= set(papers) - {victim["title"]}
    assert max(Counter(p["id"] for p in final).values()) == 1


@pytest.mark.parametrize("cmd", [["show", "--unmatched", "--limit", "100", "--format", "json"], ["list", "--untagged", "--format", "json"],
                                 ["ingest", "again"]], ids=["show", "list", "ingest"])
def test_same_size_edit_seen_first_by_an_index_read(home, tmp_path, cmd):
    """The first command after the edit reads the line by the index (not a full scan): it too sets
    the line aside and answers, instead of "index points at a damaged record ...; delete
    index.sqlite" (or, for `list`, leaving the line silently)."""
    write_dump(tmp_path / "a.txt", "Indexed", 30)
    assert digest(home, "ingest", str(tmp_path / "a.txt")).returncode == 0
    titles = {p["title"] for p in show_all(home)}
    items = home / "items.jsonl"
    line = lines_of(items)[7]
    victim = json.loads(line)["title"]
    bad = _same_size_edits(line)["title a number"]
    edit_in_place(items, 7, bad)
    if cmd[0] == "ingest":  # the same dump again: the edited paper is looked up by its id
        cmd = ["ingest", str(tmp_path / "a.txt")]
    r = digest(home, *cmd)
    assert_no_traceback(r, str(cmd))
    assert r.returncode == 0, r.stderr
    assert "delete index" not in r.stderr and "kept aside" in r.stderr, r.stderr
    if cmd[0] == "show":
        assert {p["title"] for p in json.loads(r.stdout)} == titles - {victim}
    assert bad in rejected_raw(home) and bad not in lines_of(items)
    if cmd[0] == "ingest":  # and it came back from the dump
        assert {p["title"] for p in show_all(home)} == titles
