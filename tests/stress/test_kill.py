"""Kill at any point: SIGKILL the installed ``digest`` at random moments.

For each of ``digest ingest``, ``digest tag`` and ``digest run --email`` (against
a local aiosmtpd server), a loop starts the command, kills it with SIGKILL
after a random delay drawn over the time one uninterrupted run takes (measured
first), then checks:

* the store loads (``digest show --all --format json`` exits 0 and parses), and
  every line of items.jsonl / events.jsonl is whole JSON afterwards;
* every paper and tag whose command had finished before is still there, and
  each paper is there once;
* the same command, run again, completes;
* email: no paper is in two messages unless the first one was accepted (250)
  by the server and its sender was killed before recording it (the one
  documented way to get a paper twice), and no paper is marked emailed
  without a 250 (every ``sent`` event names a message the server accepted).

``DIGEST_STRESS_KILLS`` kills per command (default 12; the full run uses 50+),
``DIGEST_STRESS_SEED`` replays a run (the seed is printed on failure).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest
from stresskit import (
    KILLS,
    Sink,
    digest,
    jsonl_records,
    kill_after,
    replay,
    show_all,
    spawn,
    tags_in,
    write_config,
    write_dump,
)


def moment(rng, t_run: float) -> float:
    """A random delay over the span of one run (the first quarter is mostly interpreter start-up)."""
    return t_run * rng.uniform(0.15, 1.05)


def timed(fn, *a, **kw):
    t0 = time.monotonic()
    out = fn(*a, **kw)
    return out, time.monotonic() - t0


def check_store(home, expected_titles: set[str], config=None) -> list[dict]:
    """The store loads, holds every expected paper exactly once, and its files are whole lines."""
    papers = show_all(home, config)
    titles = Counter(p["title"] for p in papers)
    dup = [t for t, n in titles.items() if n > 1]
    assert not dup, f"papers stored twice: {dup[:5]}"
    ids = Counter(p["id"] for p in papers)
    assert max(ids.values(), default=1) == 1
    missing = {t for t in expected_titles if t not in titles}
    assert not missing, f"{len(missing)} papers of finished commands lost, e.g. {sorted(missing)[:3]}"
    jsonl_records(home / "items.jsonl")
    jsonl_records(home / "events.jsonl")
    return papers


def titles_of(path) -> set[str]:
    from datetime import date

    from digest.sources.detect import parse_bytes

    return {i.title for i in parse_bytes(path.read_bytes(), source="x", ref_date=date.today()).items}


# --------------------------------------------------------------------------- ingest
def test_kill_ingest_at_random_moments(home, tmp_path, rng, request):
    # Each dump brings 400 new papers and updates (upvotes) 400 of the previous one, so a
    # kill can land in the parse, the diff, the append of new and of updated versions, the
    # index update, or a torn-line repair left by the previous kill.
    def dump(k):
        path = tmp_path / f"day{k}.txt"
        if not path.exists():
            text = write_text(k)
            path.write_text(text, encoding="utf-8")
        return path

    def write_text(k):
        from stresskit import dump_text

        new = dump_text(f"K{k}", 300, page_date="Nov 20")
        if k == 0:
            return new
        old = dump_text(f"K{k - 1}", 300, page_date="Nov 20").replace(" 2025 ", " 2025 1")  # upvotes change
        return new + "\n" + old.split("Nov 20\n\n", 1)[1]

    expected: set[str] = set()
    _, t_run = timed(digest, home, "ingest", str(dump(0)))
    expected |= titles_of(dump(0))
    kills = 0
    for k in range(1, KILLS + 1):
        path = dump(k)
        (killed, rc, err), took = timed(kill_after, spawn(home, "ingest", str(path)), moment(rng, t_run))
        t_run = t_run if killed else took  # runs get slower as the store grows: aim at the latest span
        kills += killed
        assert killed or rc == 0, f"ingest {k} failed on its own ({rc}): {err} {replay(request.node.stress_seed)}"
        check_store(home, expected)
        r = digest(home, "ingest", str(path))  # a rerun completes
        assert r.returncode == 0, r.stderr
        expected |= titles_of(path)
    check_store(home, expected)
    print(f"ingest: {kills} of {KILLS} runs killed, {len(expected)} papers kept")
    assert kills >= max(1, KILLS // 4), f"only {kills} of {KILLS} runs were killed before they finished"


# --------------------------------------------------------------------------- tag
def test_kill_tag_at_random_moments(home, tmp_path, rng, request):
    write_dump(tmp_path / "base.txt", "Tagged", 300)
    r = digest(home, "ingest", str(tmp_path / "base.txt"))
    assert r.returncode == 0, r.stderr
    ids = [p["id"] for p in show_all(home)]
    expected: set[tuple[str, str]] = set()

    def command(k):
        chosen = rng.sample(ids, 120)
        tags = [f"t{k}", f"group{k % 3}"]
        return chosen, tags, ["tag", "-", "-t", tags[0], "-t", tags[1]], "\n".join(chosen).encode()

    chosen, tags, argv, stdin = command(0)
    r, t_run = timed(digest, home, *argv, input=stdin)
    assert r.returncode == 0, r.stderr
    expected |= {(i, t) for i in chosen for t in tags}
    kills = 0
    for k in range(1, KILLS + 1):
        chosen, tags, argv, stdin = command(k)
        (killed, rc, err), took = timed(kill_after, spawn(home, *argv, input=stdin), moment(rng, t_run))
        t_run = t_run if killed else took
        kills += killed
        assert killed or rc == 0, f"tag {k} failed on its own ({rc}): {err}"
        check_store(home, set())
        have = tags_in(home)
        assert expected <= have, f"finished tags lost: {sorted(expected - have)[:5]}"
        r = digest(home, *argv, input=stdin)
        assert r.returncode == 0, r.stderr
        expected |= {(i, t) for i in chosen for t in tags}
        assert expected <= tags_in(home)
    # the user's view agrees with the event log
    r = digest(home, "tags", "--format", "json")
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout)
    for t in {t for _, t in expected}:
        assert counts.get(t) == len({i for i, tt in expected if tt == t})
    print(f"tag: {kills} of {KILLS} runs killed, {len(expected)} tags kept")
    assert kills >= max(1, KILLS // 4), f"only {kills} of {KILLS} runs were killed before they finished"


# --------------------------------------------------------------------------- run --email
@pytest.fixture
def sink():
    pytest.importorskip("aiosmtpd")
    s = Sink()
    s.start()
    yield s
    s.stop()


def sent_events(home) -> list[dict]:
    return [e for e in jsonl_records(home / "events.jsonl") if e.get("type") == "sent"]


def sender_pid(message_id: str) -> int | None:
    """The pid in a Message-ID made by email.utils.make_msgid: <time.pid.random...@domain>."""
    m = re.match(r"<\d+\.(\d+)\.", message_id)
    return int(m.group(1)) if m else None


def check_mail(home, sink: Sink, killed_windows: list[tuple[int, int]], killed_pids: set[int]) -> dict:
    """No paper mailed twice except after a kill between 250 and record; none marked without a 250."""
    messages = sink.snapshot()
    events = sent_events(home)
    accepted = {m["message_id"] for m in messages}
    recorded = {e["message_id"] for e in events}
    ghost = recorded - accepted
    assert not ghost, f"marked as emailed without a 250: {ghost}"
    unrecorded = [i for i, m in enumerate(messages) if m["message_id"] not in recorded]
    for i in unrecorded:  # accepted but not recorded: only a killed sender may leave that
        pid = sender_pid(messages[i]["message_id"])
        killed = pid in killed_pids if pid is not None else any(a <= i < b for a, b in killed_windows)
        assert killed, f"message {messages[i]['message_id']} accepted but not recorded, and its sender was not killed"
    per_id = Counter(x for m in messages for x in set(m["ids"]))
    per_id_recorded = Counter(x for m in messages if m["message_id"] in recorded for x in set(m["ids"]))
    twice = [x for x, n in per_id_recorded.items() if n > 1]
    assert not twice, f"papers recorded as emailed in two messages: {twice[:5]}"
    allowed = Counter(x for i in unrecorded for x in set(messages[i]["ids"]))
    over = [x for x, n in per_id.items() if n > 1 + allowed[x]]
    assert not over, f"papers emailed twice without a crash between send and record: {over[:5]}"
    # the ids in the events are the ids in the messages
    for e in events:
        m = next(m for m in messages if m["message_id"] == e["message_id"])
        assert sorted(x[:8] for x in e["ids"]) == sorted(m["ids"])
    return {"messages": len(messages), "unrecorded": len(unrecorded), "per_id": per_id}


def test_kill_run_email_at_random_moments(home, tmp_path, rng, sink, request):
    src = tmp_path / "src"
    src.mkdir()
    cfg = write_config(tmp_path / "config.toml", email_port=sink.controller.port,
                       sources={"saved": {"path": str(src / "*.txt")}})
    expected: set[str] = set()

    def day(k):
        path = src / f"day{k:03d}.txt"
        write_dump(path, f"Mail{k}", 40)
        return titles_of(path)

    expected |= day(0)
    r, t_run = timed(digest, home, "run", "--email", config=cfg)
    assert r.returncode == 0, r.stderr
    assert len(sink.snapshot()) == 1
    killed_windows: list[tuple[int, int]] = []
    killed_pids: set[int] = set()
    kills = 0
    for k in range(1, KILLS + 1):
        titles = day(k)
        before = len(sink.snapshot())
        proc = spawn(home, "run", "--email", config=cfg)
        (killed, rc, err), took = timed(kill_after, proc, moment(rng, t_run))
        t_run = t_run if killed else took
        kills += killed
        assert killed or rc == 0, f"run --email {k} failed on its own ({rc}): {err}"
        if killed:
            killed_pids.add(proc.pid)
            time.sleep(0.05)  # let the server finish a DATA it was given before the kill
            killed_windows.append((before, len(sink.snapshot())))
        check_store(home, expected, cfg)
        check_mail(home, sink, killed_windows, killed_pids)
        r = digest(home, "run", "--email", config=cfg)  # a rerun completes
        assert r.returncode == 0, r.stderr
        expected |= titles
        stats = check_mail(home, sink, killed_windows, killed_pids)
    check_store(home, expected, cfg)
    # delivery at least once: every paper went out
    papers = show_all(home, cfg)
    never = [p["title"] for p in papers if stats["per_id"][p["short_id"]] == 0]
    assert not never, f"papers never emailed: {never[:5]}"
    print(f"run --email: {kills} kills, {stats['messages']} messages, "
          f"{stats['unrecorded']} accepted but unrecorded (killed between 250 and record)")
    assert kills >= max(1, KILLS // 4), f"only {kills} of {KILLS} runs were killed before they finished"


# --------------------------------------------------------------------------- ingest with [semantic] on
def semantic_cache_is_right(home, *, complete: bool) -> int:
    """Every row of the semantic cache is the model's vector of the text its key names (never a
    wrong vector); with ``complete``, every current paper has a row. Returns the rows."""
    import numpy as np

    from digest.ranking.semantic.cache import VectorCache, text_key, text_of
    from digest.ranking.semantic.model import load_model

    model = load_model(None)
    cache = VectorCache(home, model.dim, model.fingerprint)
    recs = jsonl_records(home / "items.jsonl")
    by_key = {text_key(text_of(r)): text_of(r) for r in recs}
    keys = cache.all_keys().tolist()
    unknown = [k for k in keys if k not in by_key]
    assert not unknown, f"{len(unknown)} cached rows name no stored text"
    if keys:
        want = model.embed([by_key[k] for k in keys])
        got = cache.vectors(np.arange(len(keys)))
        bad = np.flatnonzero(~np.isclose(got, want, atol=3e-3).all(axis=1))
        assert not len(bad), f"{len(bad)} cached rows hold a wrong vector, e.g. row {bad[0]}"
    data = (home / "items.jsonl").read_bytes()
    try:
        covered = json.loads((home / "semantic.json").read_text())["covered"]["size"]
    except (OSError, ValueError, KeyError):
        covered = 0
    offs, rows = cache._read_map()
    for off, row in zip(offs.tolist(), rows.tolist(), strict=True):
        if off < covered or complete:  # entries past the coverage are not used (and cut next time)
            line = data[off:data.index(b"\n", off)]
            assert row < cache.n and keys[row] == text_key(text_of(json.loads(line))), f"offset {off}: wrong row"
    if complete:
        latest = {r["id"]: text_of(r) for r in recs}
        missing = [t for t in latest.values() if cache.find(np.array([text_key(t)], dtype=np.uint64))[0] < 0]
        assert not missing, f"{len(missing)} papers have no row after a complete command"
    return len(keys)


def test_kill_ingest_with_the_semantic_cache_at_random_moments(home, tmp_path, rng, request):
    """SIGKILL `digest ingest` with [semantic] on: after each kill no cached row is wrong (rows may
    be missing: the cache is then stale), and the next command fills in every missing row."""
    from stresskit import dump_text

    config = write_config(tmp_path / "config.toml", extra="\n[semantic]\nweight = 1.5\n")
    per_dump = 600  # embedding them is a good part of the run, so kills land in the append too
    first = tmp_path / "day0.txt"
    first.write_text(dump_text("S0", per_dump, abstract_words=120), encoding="utf-8")
    _, t_run = timed(digest, home, "ingest", str(first), config=config)
    semantic_cache_is_right(home, complete=True)
    kills = 0
    for k in range(1, KILLS + 1):
        path = tmp_path / f"day{k}.txt"
        path.write_text(dump_text(f"S{k}", per_dump, abstract_words=120), encoding="utf-8")
        (killed, rc, err), took = timed(kill_after, spawn(home, "ingest", str(path), config=config),
                                        moment(rng, t_run))
        t_run = t_run if killed else took
        kills += killed
        assert killed or rc == 0, f"ingest {k} failed on its own ({rc}): {err} {replay(request.node.stress_seed)}"
        semantic_cache_is_right(home, complete=not killed)
        r = digest(home, "show", "--format", "json", config=config)  # a reader catches the cache up
        assert r.returncode == 0, r.stderr
        semantic_cache_is_right(home, complete=True)
    print(f"semantic ingest: {kills} of {KILLS} runs killed")
    assert kills >= max(1, KILLS // 4), f"only {kills} of {KILLS} runs were killed before they finished"
