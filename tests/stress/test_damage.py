"""A torn or damaged store, through the installed ``digest`` command.

A last line without newline, garbage (and wrong-typed records) in the middle,
a store from a newer format version, a read-only store, a full disk: every
case gives a clear one-line message, the right exit code, and no silent loss:
what cannot be used is kept aside (``items.jsonl.torn``,
``items.jsonl.rejected``) and reported.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import subprocess

import pytest
from stresskit import (
    digest,
    digest_exe,
    env_for,
    in_namespace,
    jsonl_records,
    show_all,
    userns_available,
    write_config,
    write_dump,
)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def assert_clean_failure(r, *needles: str, code: int = 1) -> str:
    """Exit ``code`` with exactly one ``Error:`` line (no traceback) containing every needle."""
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    errs = error_lines(r.stderr)
    assert len(errs) == 1, r.stderr
    for n in needles:
        assert n in errs[0], errs[0]
    return errs[0]


@pytest.fixture
def stocked(home, tmp_path):
    """A store with 30 papers from two ingests, and one tag."""
    write_dump(tmp_path / "a.txt", "Alpha", 20)
    write_dump(tmp_path / "b.txt", "Beta", 10)
    for name in ("a.txt", "b.txt"):
        r = digest(home, "ingest", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
    papers = show_all(home)
    assert len(papers) == 30
    r = digest(home, "tag", papers[0]["short_id"], "keep")
    assert r.returncode == 0, r.stderr
    return papers


GAMMA = (b"Gamma paper one\n\nWe study a thing that is new, and we show in some detail why it is good "
         b"for every reader of this digest.\n")


def ids(papers) -> set[str]:
    return {p["id"] for p in papers}


# --------------------------------------------------------------------------- torn last line
def test_torn_last_line_is_kept_aside_and_reported(home, stocked):
    items = home / "items.jsonl"
    torn = b'{"v":1,"id":"0123456789abcdef","title":"Half a rec'
    with open(items, "ab") as fh:
        fh.write(torn)
    r = digest(home, "show", "--all", "--unmatched", "--limit", "1000", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "torn" in r.stderr and "items.jsonl.torn" in r.stderr
    assert ids(json.loads(r.stdout)) == ids(stocked)
    assert (home / "items.jsonl.torn").read_bytes() == torn + b"\n"
    jsonl_records(items)  # every line whole again
    # reported once: the repair is done
    r = digest(home, "show", "--all", "--format", "json")
    assert "torn" not in r.stderr


def test_complete_last_record_without_newline_is_kept(home, stocked):
    items = home / "items.jsonl"
    rec = {"v": 1, "id": "00000000000000aa", "title": "Hand-added paper", "abstract": "By hand.",
           "first_run": 2, "first_seen": "2025-11-20T00:00:00Z"}
    with open(items, "ab") as fh:
        fh.write(json.dumps(rec).encode())  # no newline
    assert len(show_all(home)) == 31
    jsonl_records(items)


def test_torn_events_line_keeps_every_finished_tag(home, stocked):
    events = home / "events.jsonl"
    with open(events, "ab") as fh:
        fh.write(b'{"v":1,"type":"tag","id":"')
    r = digest(home, "tag", stocked[1]["short_id"], "second")
    assert r.returncode == 0, r.stderr
    assert "torn" in r.stderr
    r = digest(home, "tags", "--format", "json")
    assert json.loads(r.stdout) == {"keep": 1, "second": 1}
    jsonl_records(events)


# --------------------------------------------------------------------------- garbage
GARBAGE = [
    b"this is not json at all",
    b'{"v":1,"id":"bad1","title":"unterminated',
    b"\xff\xfe binary \x00 bytes \xc3",
    b"[1, 2, 3]",
    b'{"no_id": true}',
    b'{"v":1,"id":"","title":"empty id"}',
    b'{"v":1,"id":"deadbeef00000001","title":5}',
    b'{"v":1,"id":"deadbeef00000002","title":"ok","abstract":["not","a","string"]}',
    b'{"v":1,"id":"deadbeef00000003","title":"ok","authors":"Ada Lovelace"}',
    b'{"v":1,"id":"deadbeef00000004","title":"ok","first_run":"one"}',
    b'{"v":1,"id":"deadbeef00000005","title":"ok","upvotes":{"n":1}}',
    b'{"v":1,"id":"deadbeef00000006"}',
]


@pytest.mark.parametrize("bad", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_line_in_the_middle_is_kept_aside_and_reported(home, stocked, bad):
    items = home / "items.jsonl"
    lines = items.read_bytes().split(b"\n")
    lines.insert(7, bad)
    items.write_bytes(b"\n".join(lines))
    for cmd in (["show", "--all", "--unmatched", "--limit", "1000", "--format", "json"], ["show", "--limit", "1000"]):
        r = digest(home, *cmd)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        if cmd[1] == "--all":
            assert "kept aside" in r.stderr and "items.jsonl.rejected" in r.stderr, r.stderr
            assert ids(json.loads(r.stdout)) == ids(stocked)
    kept = jsonl_records(home / "items.jsonl.rejected")
    assert len(kept) == 1
    raw = base64.b64decode(kept[0]["raw_base64"]) if "raw_base64" in kept[0] else kept[0]["line"].encode()
    assert raw == bad, "the rejected line is kept byte for byte"
    assert bad not in items.read_bytes().split(b"\n")
    # the store works on: a new ingest, a tag
    for cmd in (["ingest", "-"], ["tag", stocked[2]["short_id"], "after"]):
        r = digest(home, *cmd, input=GAMMA)
        assert r.returncode == 0, r.stderr


def test_damaged_event_lines_are_skipped_with_a_warning_not_fatal(home, stocked):
    events = home / "events.jsonl"
    data = events.read_bytes()
    bad = [b"garbage", b'{"v":1,"type":"tag","id":5,"tag":"x"}', b'{"v":1,"type":"sent","ids":5}',
           b'{"v":1,"type":"note","id":"x","text":["a"]}', b'{"v":1,"type":"sent","ids":[1,null],"through_run":"x"}',
           b'{"v":1,"type":"email_baseline","after_run":null}', b"[]", b"null"]
    events.write_bytes(data + b"\n".join(bad) + b"\n")
    for cmd in (["tags", "--format", "json"], ["list", "--format", "json"], ["show", "--all"],
                ["email", "--dry-run"], ["tag", stocked[3]["short_id"], "more"]):
        r = digest(home, *cmd)
        assert "Traceback" not in r.stderr, (cmd, r.stderr)
        if cmd[0] == "email":  # no [email] configured: a config error, not a crash
            assert r.returncode == 1 and len(error_lines(r.stderr)) == 1, r.stderr
        else:
            assert r.returncode == 0, (cmd, r.stderr)
    r = digest(home, "tags", "--format", "json")
    assert json.loads(r.stdout) == {"keep": 1, "more": 1}


def test_corrupt_index_is_rebuilt_silently(home, stocked):
    (home / "index.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(5000))
    for suffix in ("-wal", "-shm"):
        (home / f"index.sqlite{suffix}").unlink(missing_ok=True)
    assert ids(show_all(home)) == ids(stocked)


# --------------------------------------------------------------------------- newer format
NEWER_CMDS = [
    ["show", "--all"], ["show"], ["ingest", "-"], ["tag", "00", "x"], ["tags"], ["list"], ["run"],
    ["explain", "00"],
]


def _snapshot(home):
    return {p.name: p.read_bytes() for p in sorted(home.iterdir())
            if p.is_file() and p.name in ("items.jsonl", "events.jsonl", "meta.json")}


@pytest.mark.parametrize("where", ["meta", "record", "event"])
def test_newer_format_is_refused_and_nothing_is_touched(home, stocked, tmp_path, where):
    if where == "meta":
        (home / "meta.json").write_text(json.dumps({"format": 99}))
    elif where == "record":
        with open(home / "items.jsonl", "a") as fh:
            fh.write(json.dumps({"v": 99, "id": "ffff000000000000", "title": "From the future"}) + "\n")
    else:
        with open(home / "events.jsonl", "a") as fh:
            fh.write(json.dumps({"v": 99, "type": "tag", "id": stocked[0]["id"], "tag": "x"}) + "\n")
    before = _snapshot(home)
    cfg = write_config(tmp_path / "cfg.toml", sources={"d": {"path": str(tmp_path / "a.txt")}})
    for cmd in NEWER_CMDS:
        if where == "event" and cmd[0] in ("ingest", "run"):
            continue  # these never read events
        if where == "record" and cmd[0] == "tags":
            continue  # reads events only
        r = digest(home, *cmd, config=cfg, input=GAMMA)
        assert_clean_failure(r, "newer", "upgrade digest")
    assert _snapshot(home) == before


# --------------------------------------------------------------------------- read-only
def _readonly_runner(home, tmp_path):
    """A function running digest commands with ``home`` read-only, for real even as root."""
    if os.geteuid() != 0:
        def run(*argvs):
            for p in [home, *home.iterdir()]:
                p.chmod(0o555 if p.is_dir() else 0o444)
            try:
                return [digest(home, *a, input=b"") for a in argvs]
            finally:
                for p in [home, *home.iterdir()]:
                    p.chmod(0o755 if p.is_dir() else 0o644)
        return run
    if userns_available(tmp_path):
        def run(*argvs):
            res = in_namespace({"mounts": [{"type": "ro-bind", "path": str(home)}],
                                "steps": [{"argv": [digest_exe(), *a]} for a in argvs]}, env_for(home))
            return [subprocess.CompletedProcess(a, x["rc"], x["stdout"], x["stderr"]) for a, x in zip(argvs, res, strict=True)]
        return run
    if subprocess.run(["chattr", "+i", str(home)], capture_output=True).returncode == 0:
        def run(*argvs):
            paths = [str(p) for p in home.iterdir()] + [str(home)]
            subprocess.run(["chattr", "+i", *paths], check=True)
            try:
                return [digest(home, *a, input=b"") for a in argvs]
            finally:
                subprocess.run(["chattr", "-i", *paths], check=True)
        subprocess.run(["chattr", "-i", str(home)], check=True)
        return run
    pytest.skip("running as root without user namespaces or chattr: no way to make a directory "
                "read-only for root (chmod does not stop root)")


def test_read_only_store_fails_clearly_and_loses_nothing(home, stocked, tmp_path):
    write_dump(tmp_path / "c.txt", "Gamma", 5)
    before = _snapshot(home)
    run = _readonly_runner(home, tmp_path)
    results = run(["ingest", str(tmp_path / "c.txt")], ["tag", stocked[4]["short_id"], "ro"],
                  ["note", stocked[4]["short_id"], "a note"])
    for r in results:
        assert_clean_failure(r, "read-only")
    assert _snapshot(home) == before
    assert ids(show_all(home)) == ids(stocked)  # writable again: all there


def test_read_only_store_can_still_be_read(home, stocked, tmp_path):
    run = _readonly_runner(home, tmp_path)
    show, tags = run(["show", "--all", "--unmatched", "--limit", "1000", "--format", "json"], ["tags", "--format", "json"])
    assert show.returncode == 0, show.stderr
    assert ids(json.loads(show.stdout)) == ids(stocked)
    assert tags.returncode == 0 and json.loads(tags.stdout) == {"keep": 1}, tags.stderr


# --------------------------------------------------------------------------- full disk
def _fsize_limit(limit: int):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


@pytest.mark.parametrize("headroom", [0, 300, 5000, 60000])
def test_file_size_limit_fails_cleanly_without_a_partial_line(home, stocked, tmp_path, headroom):
    write_dump(tmp_path / "big.txt", "Delta", 400)
    items = home / "items.jsonl"
    before = items.read_bytes()
    limit = len(before) + headroom
    r = digest(home, "ingest", str(tmp_path / "big.txt"), preexec_fn=_fsize_limit(limit))
    if r.returncode == 0:  # the index fitted after all: nothing to check
        pytest.fail(f"expected a failure with a {limit}-byte file size limit")
    assert_clean_failure(r, "no space left")
    after = items.read_bytes()
    # the append is cut back; or it went through whole and the index update failed after it
    assert after == before or (after.startswith(before) and len(jsonl_records(items)) == 430), \
        "no partial batch"
    # room again: the rerun completes and everything is there
    r = digest(home, "ingest", str(tmp_path / "big.txt"))
    assert r.returncode == 0, r.stderr
    assert len(show_all(home)) == 430
    jsonl_records(items)


def test_file_size_limit_on_tag_loses_no_earlier_tag(home, stocked):
    events = home / "events.jsonl"
    before = events.read_bytes()
    r = digest(home, "tag", stocked[5]["short_id"], "full", preexec_fn=_fsize_limit(len(before)))
    assert_clean_failure(r, "no space left")
    assert events.read_bytes() == before
    r = digest(home, "tags", "--format", "json")
    assert json.loads(r.stdout) == {"keep": 1}


def test_really_full_disk_tmpfs(home, tmp_path):
    """ENOSPC for real: the store on a 256 kB tmpfs (in a private mount namespace)."""
    if not userns_available(tmp_path):
        pytest.skip("no user namespaces: cannot mount a tiny tmpfs (the RLIMIT_FSIZE tests cover ENOSPC's twin)")
    from datetime import date

    from digest.sources.detect import parse_bytes

    mnt = tmp_path / "tiny"
    store = mnt / "store"
    write_dump(tmp_path / "small.txt", "Small", 3)
    write_dump(tmp_path / "big.txt", "Large", 600)
    small = parse_bytes((tmp_path / "small.txt").read_bytes(), source="s", ref_date=date.today()).items
    d = digest_exe()
    res = in_namespace({
        "mounts": [{"type": "tmpfs", "path": str(mnt), "size": "256k"}],
        "steps": [
            {"argv": [d, "ingest", str(tmp_path / "small.txt")]},            # 0 fits
            {"argv": [d, "ingest", str(tmp_path / "big.txt")]},              # 1 does not
            {"argv": [d, "show", "--all", "--format", "json"]},              # 2 still readable
            {"shell": f"cat /dev/zero > {mnt}/filler 2>/dev/null; true"},    # 3 not one byte left
            {"argv": [d, "show", "--all", "--format", "json"]},              # 4 reading needs no space
            {"argv": [d, "tag", small[0].id[:8], "full"]},                   # 5 cannot record the tag
            {"shell": f"rm {mnt}/filler"},                                   # 6
            {"argv": [d, "tag", small[1].id[:8], "roomy"]},                  # 7 room again
            {"argv": [d, "ingest", str(tmp_path / "big.txt")]},              # 8
        ],
        "copy_from": str(store), "copy_to": str(home),
    }, env_for(store))
    assert res[0]["rc"] == 0, res[0]["stderr"]
    for k in (1, 5):
        r = subprocess.CompletedProcess([], res[k]["rc"], res[k]["stdout"], res[k]["stderr"])
        assert_clean_failure(r, "no space left")
    for k in (2, 4):
        assert res[k]["rc"] == 0, (k, res[k]["stderr"], [x["stderr"] for x in res])
        assert {p["id"] for p in json.loads(res[k]["stdout"])} >= {i.id for i in small}
    assert res[7]["rc"] == 0, res[7]["stderr"]
    jsonl_records(home / "items.jsonl")
    assert [(e["id"], e["tag"]) for e in jsonl_records(home / "events.jsonl")] == [(small[1].id, "roomy")]
