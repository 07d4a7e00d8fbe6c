"""The JSONL store: diff, durability, index cache, torn lines, lock, format version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.errors import NotFound, StoreBusy, StoreError
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.store import Store


def items(*titles, **kw):
    return [Item(title=t, abstract=f"Abstract of {t}.", **kw) for t in titles]


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "s", lock_timeout=2)


def lines(store):
    return [json.loads(x) for x in store.items_path.read_text().splitlines()]


def test_ingest_diff_new_updated_unchanged(store):
    with store:
        r1 = ingest_items(store, items("Alpha", "Beta"), source="d1.txt")
    assert [len(r1.new), len(r1.updated), len(r1.unchanged)] == [2, 0, 0]
    with store:
        r2 = ingest_items(store, items("Beta", "Gamma") + [Item(title="Alpha", abstract="Abstract of Alpha.", upvotes=5)],
                          source="d2.txt")
    assert [r["title"] for r in r2.new] == ["Gamma"]
    assert [r["title"] for r in r2.updated] == ["Alpha"]
    assert r2.updated[0]["updated_fields"] == ["upvotes"]
    assert [r["title"] for r in r2.unchanged] == ["Beta"]
    beta = store.get(r2.unchanged[0]["id"])
    assert beta["sources"] == ["d1.txt", "d2.txt"]
    assert beta["first_seen"] <= beta["last_seen"]
    assert store.count() == 3


def test_overlapping_dump_reports_unchanged_not_new(store):
    with store:
        ingest_items(store, items("One", "Two", "Three"), source="a")
    with store:
        r = ingest_items(store, items("Two", "Three", "Four"), source="a")
    assert [x["title"] for x in r.new] == ["Four"]
    assert len(r.unchanged) == 2


def test_same_title_different_spelling_is_one_item(store):
    with store:
        r = ingest_items(store, [Item(title="Pre-Training at Scale"), Item(title="pretraining  at scale")], source="x")
    assert len(r.new) == 1


def test_dry_run_writes_nothing(store):
    with store:
        r = ingest_items(store, items("Alpha"), source="x", dry_run=True)
    assert len(r.new) == 1
    assert not store.items_path.exists() or store.items_path.read_text() == ""


def test_unchanged_item_seen_again_same_day_writes_nothing(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    size = store.items_path.stat().st_size
    with store:
        ingest_items(store, items("Alpha"), source="x")
    assert store.items_path.stat().st_size == size


def test_records_carry_format_version_and_are_plain_jsonl(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    rec = lines(store)[0]
    assert rec["v"] == 1 and rec["title"] == "Alpha" and rec["sources"] == ["x"]


def test_index_is_rebuilt_when_deleted(store):
    with store:
        ingest_items(store, items("Alpha", "Beta"), source="x")
    store.close()
    os.unlink(store.index_path)
    fresh = Store(store.root)
    assert fresh.count() == 2
    with fresh:
        r = ingest_items(fresh, items("Beta", "Gamma"), source="y")
    assert [x["title"] for x in r.new] == ["Gamma"]


def test_index_catches_up_after_an_append_it_did_not_see(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    store.close()
    # another writer (or a crash after the JSONL append) left the index behind
    rec = dict(lines(store)[0], id="ffff000011112222", title="Written Behind Its Back")
    with open(store.items_path, "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    fresh = Store(store.root)
    assert fresh.count() == 2
    with fresh:
        r = ingest_items(fresh, items("Written Behind Its Back"), source="y")
    assert r.new == [] and len(r.unchanged) == 1


def test_index_rebuilt_when_file_edited_in_place(store):
    with store:
        ingest_items(store, items("Alpha", "Beta"), source="x")
    store.close()
    kept = store.items_path.read_text().splitlines()[1:]
    store.items_path.write_text("\n".join(kept) + "\n")
    fresh = Store(store.root)
    assert fresh.count() == 1
    with fresh:
        r = ingest_items(fresh, items("Alpha"), source="x")
    assert len(r.new) == 1


def test_torn_last_line_is_kept_aside_and_repaired(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    with open(store.items_path, "ab") as fh:
        fh.write(b'{"v":1,"id":"abc","title":"Half a rec')
    fresh = Store(store.root)
    with fresh:
        pass
    assert any("torn" in w for w in fresh.warnings)
    assert (store.root / "items.jsonl.torn").read_bytes().startswith(b'{"v":1,"id":"abc"')
    assert len(lines(fresh)) == 1
    assert fresh.count() == 1


def test_complete_last_line_without_newline_is_kept(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    data = store.items_path.read_bytes().rstrip(b"\n")
    store.items_path.write_bytes(data)
    fresh = Store(store.root)
    with fresh:
        pass
    assert fresh.items_path.read_bytes().endswith(b"}\n")
    assert fresh.count() == 1


@pytest.mark.parametrize("name", ["items.jsonl", "events.jsonl"])
def test_a_directory_where_a_jsonl_file_belongs_is_a_store_error_when_locking(store, name):
    """Taking the lock checks each file's last line: a directory in the file's place is one
    StoreError naming it (it was an IsADirectoryError traceback from `digest run` and `ingest`)."""
    store.root.mkdir(parents=True)
    (store.root / name).mkdir()
    with pytest.raises(StoreError) as err:
        with store:
            pass
    assert name in str(err.value) and "directory" in str(err.value)
    assert not store.locked


def test_a_directory_where_events_jsonl_belongs_is_a_store_error_for_a_reader(store):
    """A reader (show, list, explain: no lock) reading the events finds a directory in the file's
    place: one StoreError naming it, not an IsADirectoryError traceback."""
    with store:
        ingest_items(store, items("Alpha"), source="x")
    store.events_path.mkdir()
    with pytest.raises(StoreError) as err:
        list(Store(store.root).iter_events())
    assert "events.jsonl" in str(err.value) and "directory" in str(err.value)


def test_garbage_line_in_the_middle_is_set_aside_not_lost(store):
    with store:
        ingest_items(store, items("Alpha", "Beta"), source="x")
    store.close()
    a, b = store.items_path.read_text().splitlines()
    store.items_path.write_text(a + "\nthis is not json\n" + b + "\n")
    os.unlink(store.index_path)
    fresh = Store(store.root)
    with fresh:
        pass
    assert fresh.count() == 2
    assert any("kept aside" in w for w in fresh.warnings)
    rejected = (store.root / "items.jsonl.rejected").read_text()
    assert "this is not json" in rejected
    assert "this is not json" not in store.items_path.read_text()


def test_newer_format_is_refused(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    (store.root / "meta.json").write_text('{"format": 99}')
    with pytest.raises(StoreError, match="newer"):
        with Store(store.root):
            pass


@pytest.mark.parametrize("text, says", [
    (b"", "meta.json: empty; it should say"),
    (b"[]", "meta.json: not a JSON object (a list); it should say"),
    (b'{"format": 1', "meta.json: not valid JSON (line 1, column 13)"),
    (b'\xff{"format": 1}', "meta.json: not UTF-8 text"),
])
def test_damaged_store_metadata_says_what_is_wrong(store, text, says):
    """meta.json empty, not an object, cut short or not text: one line that says which (it said
    "unreadable store metadata" for each), and nothing written."""
    with store:
        ingest_items(store, items("Alpha"), source="x")
    (store.root / "meta.json").write_bytes(text)
    with pytest.raises(StoreError) as info:
        with Store(store.root):
            pass
    assert says in str(info.value)
    assert (store.root / "meta.json").read_bytes() == text


def test_store_metadata_with_a_byte_order_mark_is_read(store):
    """A meta.json saved by an editor that writes a UTF-8 byte order mark is still the store's."""
    with store:
        ingest_items(store, items("Alpha"), source="x")
    meta = store.root / "meta.json"
    meta.write_bytes(b"\xef\xbb\xbf" + meta.read_bytes())
    assert Store(store.root).count() == 1


def test_newer_record_version_is_refused(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    store.close()
    rec = dict(lines(store)[0], v=7, id="0000111122223333")
    with open(store.items_path, "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    with pytest.raises(StoreError, match="format 7"):
        Store(store.root).count()


def test_resolve_prefix_unique_ambiguous_unknown(store):
    with store:
        r = ingest_items(store, items(*[f"Paper number {i}" for i in range(40)]), source="x")
    ids = [x["id"] for x in r.new]
    assert store.resolve(ids[0][:8]) == ids[0]
    assert store.resolve(ids[0].upper()[:10]) == ids[0]
    with pytest.raises(NotFound, match="ambiguous"):
        # 40 ids over 16 first digits: some digit is shared
        first = [i[0] for i in ids]
        store.resolve(max(set(first), key=first.count))
    with pytest.raises(NotFound, match="no item"):
        store.resolve("0" * 16)
    with pytest.raises(NotFound, match="not an item id"):
        store.resolve("xyz")


def test_arxiv_match_merges_v1_then_v2_and_keeps_id(store):
    with store:
        r1 = ingest_items(store, [Item(title="Old Title", arxiv_id="2401.00001", arxiv_version=1)], source="feed")
    with store:
        r2 = ingest_items(store, [Item(title="New Title", arxiv_id="2401.00001", arxiv_version=2)], source="feed")
    assert r2.new == [] and len(r2.updated) == 1
    assert r2.updated[0]["id"] == r1.new[0]["id"]
    assert r2.updated[0]["title"] == "New Title"


def test_two_different_arxiv_ids_with_same_title_stay_apart(store):
    with store:
        ingest_items(store, [Item(title="Introduction", arxiv_id="2401.00001")], source="feed")
    with store:
        r = ingest_items(store, [Item(title="Introduction", arxiv_id="2402.00002")], source="feed")
    # same title hash: the second paper needs its own id
    assert len(r.new) == 1 and r.updated == []
    assert store.count() == 2


def test_several_ingests_under_one_lock_share_a_run(store):
    with store:
        ingest_items(store, items("A"), source="1")
        ingest_items(store, items("B"), source="2")
    assert {r["title"] for r in store.records_of_run(store.latest_run())} == {"A", "B"}
    with store:
        ingest_items(store, items("C"), source="3")
    assert [r["title"] for r in store.records_of_run(store.latest_run())] == ["C"]


HOLD = """
import sys, time
from digest.store import Store
s = Store(sys.argv[1])
with s:
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_lock_second_writer_waits_then_gives_up(store):
    store.root.mkdir(parents=True)
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(store.root), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        with pytest.raises(StoreBusy, match="busy"):
            with Store(store.root, lock_timeout=0.5):
                pass
        assert 0.4 < time.monotonic() - t0 < 2.5
    finally:
        p.wait(10)
    # once the holder is gone the lock is free again
    with Store(store.root, lock_timeout=0.5):
        pass


def test_lock_waiter_proceeds_when_holder_finishes(store):
    store.root.mkdir(parents=True)
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(store.root), "0.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        with Store(store.root, lock_timeout=5) as s:
            ingest_items(s, items("After"), source="x")
    finally:
        p.wait(10)
    assert store.count() == 1


def test_lock_is_released_when_holder_is_killed(store):
    store.root.mkdir(parents=True)
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(store.root), "60"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    p.kill()
    p.wait(10)
    with Store(store.root, lock_timeout=1):
        pass


FULL_DISK = """
import resource, sys
from digest.item import Item
from digest.store import Store
from digest.errors import StoreError
s = Store(sys.argv[1])
size = s.items_path.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 300, size + 300))
import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
try:
    with s:
        ingest_items(s, [Item(title=f"Big paper {i}", abstract="x" * 200) for i in range(20)], source="big")
except StoreError as exc:
    print("ERR", exc)
"""


def test_full_disk_fails_cleanly_and_leaves_no_partial_line(store):
    with store:
        ingest_items(store, items("Before"), source="x")
    store.close()
    before = store.items_path.read_bytes()
    out = subprocess.run([sys.executable, "-c", FULL_DISK, str(store.root)], capture_output=True, text=True)
    assert out.stdout.startswith("ERR"), out.stderr
    assert "disk full" in out.stdout
    assert store.items_path.read_bytes() == before
    assert Store(store.root).count() == 1


def test_write_without_lock_is_a_programming_error(store):
    with pytest.raises(RuntimeError):
        ingest_items(store, items("A"), source="x")


def test_retitled_paper_is_found_by_its_new_title(store):
    with store:
        r1 = ingest_items(store, [Item(title="Old Title", arxiv_id="2401.00009", arxiv_version=1)], source="feed")
    with store:
        ingest_items(store, [Item(title="Brand New Title", arxiv_id="2401.00009", arxiv_version=2)], source="feed")
    with store:  # a Daily Papers page (no arXiv id) with the new title
        r3 = ingest_items(store, [Item(title="Brand new title", abstract="From the page.")], source="page")
    assert r3.new == []
    assert [r["id"] for r in r3.updated] == [r1.new[0]["id"]]
    assert store.count() == 1


def test_old_index_schema_is_rebuilt(store):
    import sqlite3

    with store:
        ingest_items(store, items("Alpha"), source="x")
    store.close()
    db = sqlite3.connect(store.index_path)
    db.execute("UPDATE meta SET value=1 WHERE key='index_version'")
    db.commit()
    db.close()
    fresh = Store(store.root)
    assert fresh.count() == 1
    with fresh:
        r = ingest_items(fresh, items("Alpha"), source="y")
    assert r.new == []


def _vocab_of(store):
    from digest.words import stem_key

    v = store.vocabulary()
    return (v.forms([stem_key("models")]).get(stem_key("models"), set()),
            v.compounds([stem_key("pretraining")]).get(stem_key("pretraining"), set()),
            v.names(["gan"]).get("gan", set()))


def test_vocabulary_grows_at_ingest_and_survives_a_rebuild(store):
    with store:
        ingest_items(store, [Item(title="Diffusion Models", abstract="A StyleGAN model, pre-trained.")], source="a")
        ingest_items(store, [Item(title="Modelling pre-training", abstract="")], source="b")
    expected = ({"models", "model", "modelling"}, {"pre-trained", "pre-training"}, {"stylegan"})
    assert _vocab_of(store) == expected
    store.close()
    store.index.drop()  # the vocabulary is rebuilt from items.jsonl with the rest of the index
    fresh = Store(store.root)
    assert _vocab_of(fresh) == expected


def test_cache_in_the_index(store):
    with store:
        ingest_items(store, items("Alpha"), source="x")
    assert store.cache_get("k") is None
    assert store.cache_put("k", "v") is True
    assert Store(store.root).cache_get("k") == "v"
    store.close()
    store.index.drop()
    assert Store(store.root).cache_get("k") is None  # a cache: gone with the index


# --------------------------------------------------------------------------- a store that survives a copy
def _no_rebuild(monkeypatch) -> list[int]:
    """Record every (re)indexing of items.jsonl: the byte it starts from (0: a rebuild)."""
    from digest.store.index import Index

    calls: list[int] = []
    orig = Index.index_from

    def index_from(self, start):
        calls.append(start)
        return orig(self, start)

    monkeypatch.setattr(Index, "index_from", index_from)
    return calls


def test_a_copied_store_keeps_its_index(store, tmp_path, monkeypatch):
    """The index is known by the file's content (size, head, tail), not its inode or mtime: a
    store copied (cp -r, a backup restored, a new laptop) answers at once, reading and writing."""
    import shutil

    with store:
        ingest_items(store, items("Alpha", "Beta", "Gamma"), source="x")
    store.close()
    copy = tmp_path / "copy"
    shutil.copytree(store.root, copy)  # new inodes, new modification times
    later = time.time_ns() + 10**10
    os.utime(copy / "items.jsonl", ns=(later, later))
    assert os.stat(copy / "items.jsonl").st_ino != os.stat(store.items_path).st_ino
    calls = _no_rebuild(monkeypatch)
    moved = Store(copy)
    assert moved.count() == 3 and moved.get(lines(store)[0]["id"])["title"] == "Alpha"
    with moved:
        r = ingest_items(moved, items("Delta", "Alpha"), source="y")
    assert [x["title"] for x in r.new] == ["Delta"] and calls == []  # the append is added by Index.add
    moved.close()
    assert Store(copy).count() == 4 and calls == []


def test_an_edit_of_the_head_rebuilds_the_index(store, monkeypatch):
    """Same size, same end, same inode and mtime, another first line: the head's CRC differs."""
    with store:
        ingest_items(store, items("Alpha", "Beta"), source="x")
    store.close()
    data = store.items_path.read_bytes()
    first = data.split(b"\n")[0]
    edited = first.replace(b"Abstract of Alpha.", b"Abstract of Omega.")
    st = os.stat(store.items_path)
    with open(store.items_path, "r+b") as fh:
        fh.write(edited)
    os.utime(store.items_path, ns=(st.st_atime_ns, st.st_mtime_ns))
    calls = _no_rebuild(monkeypatch)
    fresh = Store(store.root)
    assert fresh.get(lines(store)[0]["id"])["abstract"] == "Abstract of Omega."
    assert calls == [0]


def test_a_record_given_another_id_in_place_is_found_by_its_new_id(tmp_path):
    """An edit in place beyond the fingerprinted head that keeps the size and the end (here: an
    id changed to another valid id) is caught where the index points: the record there is not
    the one the index has, so the index is rebuilt, never a wrong answer."""
    from digest.store import index as index_mod

    store = Store(tmp_path / "s")
    filler = [Item(title=f"Filler paper {i}", abstract="x" * 2000) for i in range(40)]  # past HEAD bytes
    with store:
        ingest_items(store, filler + items("Alpha", "Beta"), source="x")
    store.close()
    recs = lines(store)
    alpha = next(r for r in recs if r["title"] == "Alpha")
    data = store.items_path.read_bytes()
    assert data.index(alpha["id"].encode()) > index_mod.HEAD
    new_id = "f" * 16
    st = os.stat(store.items_path)
    with open(store.items_path, "r+b") as fh:
        fh.seek(data.index(alpha["id"].encode()))
        fh.write(new_id.encode())
    os.utime(store.items_path, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh = Store(store.root)
    assert fresh.get(alpha["id"]) is None  # (before: the record now called ffff... under the old id)
    assert fresh.get(new_id)["title"] == "Alpha"
    assert fresh.count() == 42


def as_older_signature(store) -> None:
    """Close ``store`` and make its index one written before the signature was by content
    (inode and modification time, no head fingerprint)."""
    import sqlite3

    store.close()
    st = os.stat(store.items_path)
    db = sqlite3.connect(store.root / "index.sqlite")
    db.execute("DELETE FROM meta WHERE key IN ('head', 'head_len')")
    db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                   [("ino", st.st_ino), ("mtime", st.st_mtime_ns)])
    db.commit()
    db.close()


def test_an_index_of_the_older_signature_is_kept_then_rewritten(store, monkeypatch):
    """An index written before the signature was by content (inode and mtime, no head) still
    describes its file: no rebuild after the upgrade; the next write gives it the new signature."""
    import sqlite3

    with store:
        ingest_items(store, items("Alpha"), source="x")
    as_older_signature(store)
    calls = _no_rebuild(monkeypatch)
    old = Store(store.root)
    assert old.count() == 1
    with old:
        ingest_items(old, items("Beta"), source="y")
    old.close()
    assert calls == []
    db = sqlite3.connect(store.root / "index.sqlite")
    meta = dict(db.execute("SELECT key, value FROM meta"))
    db.close()
    assert "head" in meta and "ino" not in meta and "mtime" not in meta


def test_a_reader_gives_an_older_index_the_content_signature(store, tmp_path, monkeypatch):
    """After the upgrade, the first command (a reader: `show`) rewrites an older index's signature
    when the lock is free, so a copy made next keeps the index instead of rebuilding it."""
    import shutil

    with store:
        ingest_items(store, items("Alpha", "Beta"), source="x")
    as_older_signature(store)
    calls = _no_rebuild(monkeypatch)
    reader = Store(store.root)
    assert reader.count() == 2
    reader.close()
    copy = tmp_path / "copy"
    shutil.copytree(store.root, copy)
    assert Store(copy).count() == 2 and calls == []


def test_get_many_containing_decodes_only_the_lines_with_those_bytes(store, monkeypatch):
    """get_many(ids, containing=b'...') returns the papers whose stored line has the bytes, and
    decodes no other line (the reading list asks its thousands of papers for the few revised)."""
    import digest.store.store as store_module

    with store:
        ingest_items(store, [Item(title=f"Paper {i}", abstract="About things.") for i in range(5)], source="t")
    recs = list(store.iter_records())
    ids = [r["id"] for r in recs]
    target = recs[2]
    with store:
        lines = store.items_path.read_bytes().splitlines(keepends=True)
        k = next(i for i, line in enumerate(lines) if target["id"].encode() in line)
        rec = json.loads(lines[k])
        rec["revised_run"], rec["revised_at"] = 7, "2026-12-01T00:00:00Z"
        lines.append((json.dumps(rec, separators=(",", ":")) + "\n").encode())
    store.items_path.write_bytes(b"".join(lines))  # (an appended newer version supersedes the old line)
    decoded = []
    real = store_module.decode_record

    def counting(line, *a):
        decoded.append(line)
        return real(line, *a)

    monkeypatch.setattr(store_module, "decode_record", counting)
    got = Store(store.root).get_many(ids, containing=b'"revised_run"')
    assert [r["id"] for r in got] == [target["id"]] and got[0]["revised_run"] == 7
    assert len(decoded) == 1
    assert len(Store(store.root).get_many(ids)) == 5  # without it: every paper


# ---------------------------------------------------------------------------- atomic_write's temporary file
def test_atomic_write_replaces_through_a_private_temporary_beside_it(tmp_path, monkeypatch):
    from digest.store import files

    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append((os.path.basename(src), os.stat(src).st_mode & 0o777, Path(src).read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    files.atomic_write(target, b"new")
    (name, mode, data), = seen
    assert name.startswith(".state.json.") and name.endswith(".tmp") and mode == 0o600 and data == b"new"
    assert target.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_never_reuses_an_existing_temporary_name(tmp_path, monkeypatch):
    from digest.store import files

    draws = iter([b"\x00" * 6, b"\x00" * 6, b"\x01" * 6])
    monkeypatch.setattr(files.os, "urandom", lambda n: next(draws))
    squatter = tmp_path / f".out.{'00' * 6}.tmp"
    squatter.write_bytes(b"someone else's")
    files.atomic_write(tmp_path / "out", b"mine", mode=0o644)
    assert squatter.read_bytes() == b"someone else's"  # (created exclusively: never opened)
    assert (tmp_path / "out").read_bytes() == b"mine" and (tmp_path / "out").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [squatter.name, "out"]


@pytest.mark.parametrize("args", [["note", "PAPER", "bad \udcff\udcfe byte"], ["follow", "Jos\udce9 Garc\udced"],
                                  ["mute", "x\udcffy"]])
def test_a_byte_that_is_not_utf8_on_the_command_line_is_stored_not_a_traceback(args, tmp_path):
    """Python hands a non-UTF-8 byte of argv over as a lone surrogate (surrogateescape), which
    UTF-8 cannot write: the event line failed to encode (a traceback, nothing written). What the
    store writes is UTF-8, always: such a character is stored as U+FFFD."""
    from click.testing import CliRunner

    from digest.cli import cli

    src = tmp_path / "daily_papers.json"
    src.write_text(json.dumps([{"paper": {"id": "2512.00001", "title": "Diffusion for bytes", "summary": "x",
                                          "publishedAt": "2025-12-01T00:00:00.000Z"},
                                "title": "Diffusion for bytes"}]), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(src)]).exit_code == 0
    store = Store(Path(os.environ["DIGEST_HOME"]))
    paper = next(store.iter_records())["id"]
    r = runner.invoke(cli, [a.replace("PAPER", paper) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0, r.output
    raw = store.events_path.read_bytes()
    raw.decode("utf-8")  # strict
    assert "\ufffd".encode() in raw
    assert runner.invoke(cli, ["list"]).exit_code == 0


@pytest.mark.parametrize("name", [
    "events.sync-conflict-20251121-073012-ABCDEFG.jsonl",  # Syncthing
    "events (Laptop's conflicted copy 2025-11-21).jsonl",  # Dropbox
    "items (conflicted copy 2025-11-21 073012).jsonl",  # Nextcloud
    "items-DESKTOP-1234.jsonl",  # OneDrive
    "events.jsonl.conflict",
])
def test_a_folder_syncs_conflicted_copy_beside_the_store_is_a_warning(store, name):
    """A store synced between two machines: both wrote, and the sync kept the other machine's file
    as a copy beside the store. Its tags or papers were silently not there: now every command
    that opens the store says so, once, naming the copy."""
    with store:
        ingest_items(store, [Item(title="A paper")], source="t")
        store.append_events([{"type": "tag", "id": store.iter_records().__next__()["id"], "tag": "x"}])
    assert store.warnings == []
    copy = store.root / name
    copy.write_bytes((store.root / ("events.jsonl" if name.startswith("events") else "items.jsonl")).read_bytes())
    for reopened in (Store(store.root), Store(store.root)):
        reopened.count()
        with reopened:
            pass
        (w,) = reopened.warnings
        assert w.startswith(f"{copy}: a copy of {name.split('.')[0].split(' ')[0].split('-')[0]}.jsonl")
        assert "not read" in w


def test_digests_own_files_beside_the_store_are_no_conflicted_copies(store):
    with store:
        ingest_items(store, [Item(title="A paper")], source="t")
    for name in ("items.jsonl.torn", "items.jsonl.rejected", "events.jsonl.torn", ".items.jsonl.1a2b.tmp",
                 "itemsX.json", "notes.jsonl"):
        (store.root / name).write_bytes(b"{}\n")
    again = Store(store.root)
    again.count()
    assert again.warnings == []
