"""The reading list core: tag/untag/note events, folding, prefixes, re-ingest, selection."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from digest import readinglist
from digest import readinglist as rl
from digest.errors import DigestError, NotFound
from digest.ingest.diff import ingest_items
from digest.ingest.pipeline import ingest_inputs
from digest.item import Item
from digest.store import Store


def make_items(n: int) -> list[Item]:
    return [Item(title=f"Paper number {i} about topic {i % 7}", abstract=f"Abstract {i}.",
                 published=f"2025-11-{1 + i % 28:02d}") for i in range(n)]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store", lock_timeout=2)
    with s:
        ingest_items(s, make_items(60), source="dump.txt")
    return s


def ids(store) -> list[str]:
    return sorted(r["id"] for r in store.iter_records())


def events(store) -> list[dict]:
    if not store.events_path.exists():
        return []
    return [json.loads(x) for x in store.events_path.read_text().splitlines()]


def shared_prefix(all_ids: list[str]) -> tuple[str, list[str]]:
    """A 2-character prefix that at least two ids share (60 random ids over 256 prefixes)."""
    by: dict[str, list[str]] = {}
    for i in all_ids:
        by.setdefault(i[:2], []).append(i)
    p, group = next((p, g) for p, g in sorted(by.items()) if len(g) > 1)
    return p, group


# --------------------------------------------------------------------------- tag names
@pytest.mark.parametrize("raw, stored", [
    ("toread", "toread"), ("ToRead", "toread"), ("#cite", "cite"), ("  project:llm-eval ", "project:llm-eval"),
    ("2025/q4", "2025/q4"), ("a.b_c", "a.b_c"), ("Über", "über"),
])
def test_tag_names_are_normalised(raw, stored):
    assert rl.normalize_tag(raw) == stored


@pytest.mark.parametrize("bad", ["", "#", "two words", "tab\there", "new\nline", "-dash", "_under", "x" * 41,
                                 "semi;colon", "comma,", "ctrl\x07", "quote\"", "a#b"])
def test_invalid_tag_names_are_refused(bad):
    with pytest.raises(rl.InvalidTag):
        rl.normalize_tag(bad)


# --------------------------------------------------------------------------- tagging
def test_tag_by_prefix_appends_one_event_per_new_tag(store):
    target = ids(store)[5]
    items_before = store.items_path.stat()
    changes = rl.tag(store, [target[:8]], ["toread", "Cite", "toread"])
    assert [c.id for c in changes] == [target]
    assert changes[0].added == ["toread", "cite"]
    evs = events(store)
    assert [(e["type"], e["id"], e["tag"]) for e in evs] == [("tag", target, "toread"), ("tag", target, "cite")]
    assert all(e["v"] == 1 and e["at"].endswith("Z") for e in evs)
    # a small append: items.jsonl is not rewritten
    after = store.items_path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        items_before.st_size, items_before.st_mtime_ns, items_before.st_ino)
    assert rl.tags_by_id(store, [target]) == {target: ["cite", "toread"]}


def test_tagging_twice_writes_nothing_and_says_so(store):
    target = ids(store)[0]
    rl.tag(store, [target], ["toread"])
    size = store.events_path.stat().st_size
    (change,) = rl.tag(store, [target[:10]], ["TOREAD"])
    assert change.added == [] and change.unchanged == ["toread"]
    assert store.events_path.stat().st_size == size


def test_several_ids_at_once(store):
    a, b, c = ids(store)[:3]
    changes = rl.tag(store, [a[:8], b, c[:12], a], ["toread"])  # a given twice: tagged once
    assert [ch.id for ch in changes] == [a, b, c]
    assert rl.all_tags(store) == {"toread": 3}
    assert len(events(store)) == 3


def test_ambiguous_prefix_lists_candidates_and_writes_nothing(store):
    prefix, group = shared_prefix(ids(store))
    ok = next(i for i in ids(store) if not i.startswith(prefix))
    with pytest.raises(NotFound) as exc:
        rl.tag(store, [ok, prefix], ["toread"])  # the good id is not tagged either
    msg = str(exc.value)
    assert f"id prefix {prefix!r} is ambiguous: {len(group)} papers match" in msg
    titles = {r["id"]: r["title"] for r in store.get_many(group)}
    assert sorted(exc.value.details) == sorted(f"{i[:8]} {titles[i][:70]}" for i in group)
    assert "\n" not in msg
    assert events(store) == []


def test_unknown_and_malformed_ids(store):
    with pytest.raises(NotFound, match="no item with id 'ffffffffffffffff0'"):
        rl.tag(store, ["ffffffffffffffff0"], ["toread"])
    with pytest.raises(NotFound, match="not an item id"):
        rl.tag(store, ["toread"], ["x"])
    with pytest.raises(rl.InvalidTag):
        rl.tag(store, [ids(store)[0]], ["bad tag"])
    assert events(store) == []


def test_tagging_on_an_empty_store_is_not_found(tmp_path):
    empty = Store(tmp_path / "nothing")
    with pytest.raises(NotFound):
        rl.tag(empty, ["abcd"], ["toread"])
    assert not empty.root.exists()  # a typo on a fresh machine creates no store


def test_untag_and_retag(store):
    a, b = ids(store)[:2]
    rl.tag(store, [a, b], ["toread", "cite"], now="2025-11-01T08:00:00Z")
    (ch,) = rl.untag(store, [a], ["cite", "never"])
    assert ch.removed == ["cite"] and ch.unchanged == ["never"]
    assert rl.tags_by_id(store, [a, b]) == {a: ["toread"], b: ["cite", "toread"]}
    assert rl.all_tags(store) == {"toread": 2, "cite": 1}
    rl.untag(store, [a], ["toread"])
    assert a not in rl.tags_by_id(store, [a])
    rl.tag(store, [a], ["toread"], now="2025-11-09T08:00:00Z")
    state = rl.ReadingList.load(store)
    assert state.tags_of(a) == ["toread"] and state.added(a) == "2025-11-09T08:00:00Z"


def test_fold_ignores_other_events_and_damaged_lines(store):
    a = ids(store)[0]
    rl.tag(store, [a], ["toread"])
    with open(store.events_path, "ab") as fh:
        fh.write(b'{"v":1,"type":"delivery","run":3}\n')
        fh.write(b"not json\n")
        fh.write(b'{"v":1,"type":"tag","id":"%s","tag":""}\n' % a.encode())
        fh.write(b'{"v":1,"type":"tag","tag":"orphan"}\n')
    assert rl.all_tags(store) == {"toread": 1}
    assert any("damaged event line" in w for w in store.warnings)


def test_caller_holding_the_lock_is_fine(store):
    a = ids(store)[0]
    with store:
        rl.tag(store, [a], ["toread"])
        rl.add_note(store, a, "inside the lock")
    assert rl.tags_by_id(store, [a]) == {a: ["toread"]}


# --------------------------------------------------------------------------- notes
def test_notes_add_list_and_clear(store):
    a = ids(store)[0]
    rl.add_note(store, a[:8], "  compare with\tthe LoRA paper\n", now="2025-11-02T00:00:00Z")
    rl.add_note(store, a, "second thought")
    notes = rl.notes_by_id(store, [a])[a]
    assert [n.text for n in notes] == ["compare with the LoRA paper", "second thought"]
    assert notes[0].at == "2025-11-02T00:00:00Z"
    # a note alone puts the paper on the reading list
    assert rl.ReadingList.load(store).ids_with() == [a]
    ch = rl.clear_notes(store, a)
    assert ch.removed == ["compare with the LoRA paper", "second thought"]
    assert rl.notes_by_id(store, [a]) == {}
    with pytest.raises(DigestError, match="empty note"):
        rl.add_note(store, a, " \n ")
    with pytest.raises(DigestError, match="longer than"):
        rl.add_note(store, a, "x" * (rl.NOTE_MAX + 1))


# --------------------------------------------------------------------------- survival
DUMP = """Daily Papers

Nov 20

Low-Rank Adapters That Forget Gracefully

We study how low-rank adapters forget.

  • 3 authors
·
Aug 20 5

An Unrelated Paper on Weather

Graph networks forecast the weather.

  • 2 authors
·
Aug 19 1
"""


def test_tags_survive_reingest_and_cross_source_merges(tmp_path, data_dir):
    store = Store(tmp_path / "store")
    dump = tmp_path / "daily.txt"
    dump.write_text(DUMP, encoding="utf-8")
    with store:
        (res,) = ingest_inputs(store, [str(dump)], ref_date=date(2025, 8, 21))
    assert res.error is None and len(res.new) == 2
    paper = next(r for r in res.new if r["title"].startswith("Low-Rank"))
    assert paper["arxiv_id"] is None
    rl.tag(store, [paper["id"][:8]], ["toread", "cite"])
    rl.add_note(store, paper["id"], "read section 3")
    # the same dump again, then an arXiv feed and the HF JSON with the same paper
    feeds = [str(dump), str(data_dir / "feeds" / "arxiv_api_like.xml"),
             str(data_dir / "hf" / "daily_papers_2025-08-21.json")]
    for name in feeds:
        with store:
            (res,) = ingest_inputs(store, [name], ref_date=date(2025, 8, 21))
        assert res.error is None, res.error
    merged = store.get(paper["id"])
    assert merged["arxiv_id"] == "2508.21001"  # the feed merged into the dump's item ...
    assert len(merged["sources"]) == 3
    assert [r["id"] for r in store.iter_records() if r.get("arxiv_id") == "2508.21001"] == [paper["id"]]
    # ... so the tags and the note are still there
    assert rl.tags_by_id(store, [paper["id"]]) == {paper["id"]: ["cite", "toread"]}
    (entry,) = rl.select(store, tags=["cite"])
    assert entry.record["arxiv_id"] == "2508.21001" and entry.record["authors"]
    assert [n.text for n in entry.notes] == ["read section 3"]


# --------------------------------------------------------------------------- selection
@pytest.fixture
def listed(tmp_path):
    s = Store(tmp_path / "list", lock_timeout=2)
    papers = [
        Item(title="Diffusion Policies for Robots", abstract="Robots learn from demonstrations.",
             published="2025-11-18", authors=["Ada Lovelace"]),
        Item(title="Sparse Pre-Training", abstract="Pre-training small language models.", published="2025-11-19"),
        Item(title="Weather Graphs", abstract="Graph networks forecast weather.", published="2025-10-01"),
        Item(title="Untagged Survey", abstract="A survey of everything.", published="2025-11-20"),
    ]
    with s:
        res = ingest_items(s, papers, source="x")
    by = {r["title"].split()[0].lower(): r["id"] for r in res.new}
    rl.tag(s, [by["diffusion"]], ["toread", "cite"], now="2025-11-18T09:00:00Z")
    rl.tag(s, [by["sparse"]], ["toread"], now="2025-11-21T09:00:00Z")
    rl.add_note(s, by["weather"], "ask Bob about graph networks", now="2025-11-05T09:00:00Z")
    return s, by


def test_select_default_is_everything_tagged_or_noted_newest_first(listed):
    s, by = listed
    entries = rl.select(s)
    assert [e.id for e in entries] == [by["sparse"], by["diffusion"], by["weather"]]
    assert entries[1].tags == ["cite", "toread"] and entries[1].added == "2025-11-18T09:00:00Z"


def test_select_filters(listed):
    s, by = listed
    assert [e.id for e in rl.select(s, tags=["toread"])] == [by["sparse"], by["diffusion"]]
    assert [e.id for e in rl.select(s, tags=["toread", "#CITE"])] == [by["diffusion"]]
    assert rl.select(s, tags=["nothing"]) == []
    assert [e.id for e in rl.select(s, untagged=True)] == [by["untagged"], by["weather"]]
    assert [e.id for e in rl.select(s, search=["robot"])] == [by["diffusion"]]  # prefix of "robots"
    assert [e.id for e in rl.select(s, search=["lovelace diffusion"])] == [by["diffusion"]]  # author, all words
    assert [e.id for e in rl.select(s, search=["bob"])] == [by["weather"]]  # notes are searched
    assert rl.select(s, search=["robot weather"]) == []
    assert [e.id for e in rl.select(s, search=["pretraining"])] == [by["sparse"]]  # hyphen spellings
    assert [e.id for e in rl.select(s, since="2025-11-10")] == [by["sparse"], by["diffusion"]]
    assert [e.id for e in rl.select(s, since="2025-11-20")] == [by["sparse"]]
    with pytest.raises(DigestError, match="cannot be combined"):
        rl.select(s, tags=["toread"], untagged=True)


def test_select_sorts(listed):
    s, by = listed
    assert [e.id for e in rl.select(s, sort="added")] == [by["sparse"], by["diffusion"], by["weather"]]
    from digest.ranking.score import Scorer

    scored = rl.select(s, sort="score", scorer=Scorer({"weather": 1.0, "robot*": 3.0}))
    assert [e.id for e in scored] == [by["diffusion"], by["weather"], by["sparse"]]
    assert scored[0].score == 9.0 and scored[0].to_dict()["score"] == 9.0
    assert "score" not in rl.select(s)[0].to_dict()


def test_entry_dict(listed):
    s, by = listed
    d = rl.select(s, tags=["cite"])[0].to_dict()
    assert d["id"] == by["diffusion"] and d["short_id"] == by["diffusion"][:8]
    assert d["tags"] == ["cite", "toread"] and d["notes"] == [] and d["added"] == "2025-11-18T09:00:00Z"
    assert d["authors"] == ["Ada Lovelace"]


def test_events_file_is_plain_jsonl(listed):
    s, _ = listed
    text = s.events_path.read_text()
    assert text.endswith("\n") and all(json.loads(line)["type"] in rl.EVENT_TYPES for line in text.splitlines())
    assert os.path.getsize(s.events_path) < 2000


# --------------------------------------------------------------------------- issue 14: a list that scales
@pytest.fixture
def many(tmp_path):
    s = Store(tmp_path / "many")
    with s:
        ingest_items(s, [Item(title=f"Paper number {i}", abstract=f"About topic {i % 7}.",
                              published=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", upvotes=i % 50)
                         for i in range(400)], source="gen")
    return s


def test_listing_reads_records_as_they_are_shown(many, monkeypatch):
    """The untagged list is streamed: one pass for the sort keys, then each record is read
    again only when it is shown (the whole store is never a list of records in memory)."""
    expected = rl.select(many, untagged=True)
    reads = []
    real = Store._read_at

    def counting(self, *a, **kw):
        reads.append(a[0])
        return real(self, *a, **kw)

    monkeypatch.setattr(Store, "_read_at", counting)
    listing = rl.listing(many, untagged=True)
    assert len(listing) == 400 and reads == []  # the key pass reads lines, not records by offset
    it = iter(listing)
    first = next(it)
    assert len(reads) == 1 and first.id == expected[0].id
    rest = list(it)
    assert [e.id for e in [first, *rest]] == [e.id for e in expected]
    assert len(reads) == 400


@pytest.mark.parametrize("sort", ["newest", "added", "upvotes"])
def test_limit_keeps_the_first_n_of_the_order(many, sort):
    full = [e.id for e in rl.select(many, untagged=True, sort=sort)]
    assert [e.id for e in rl.select(many, untagged=True, sort=sort, limit=7)] == full[:7]


def test_newest_order_across_dates(many):
    days = [e.record["published"] for e in rl.select(many, untagged=True)]
    assert days == sorted(days, reverse=True)
    ups = [e.record["upvotes"] for e in rl.select(many, untagged=True, sort="upvotes")]
    assert ups == sorted(ups, reverse=True)


# --------------------------------------------------------------------------- the fold's cache
def _fold_plain(store):
    rl = readinglist.ReadingList()
    for ev in store.iter_events():
        rl.apply(ev)
    return rl.to_json()


def test_cached_fold_plus_new_events_equals_a_full_fold(tmp_path, monkeypatch):
    from digest.store import Store

    monkeypatch.setattr(readinglist, "CACHE_MIN_BYTES", 1)  # cache after every fold
    store = Store(tmp_path / "s")
    ids = [f"{i:016x}" for i in range(30)]
    with store:
        store.append_events([{"type": "tag", "id": i, "tag": "toread"} for i in ids[:20]])
        store.append_events([{"type": "triage", "id": i, "decision": "reject"} for i in ids[10:25]])
    first = readinglist.ReadingList.load(store)
    assert (store.root / "readinglist.json").exists()
    assert first.to_json() == _fold_plain(store)
    with store:  # appended after the cache was written
        store.append_events([{"type": "untag", "id": ids[0], "tag": "toread"}, {"type": "mute", "term": "survey"},
                             {"type": "note", "id": ids[29], "text": "later"}])
    again = readinglist.ReadingList.load(store)
    assert again.to_json() == _fold_plain(store)
    assert again.tags_of(ids[0]) == [] and [t for t, _ in again.muted_terms()] == ["survey"]


def test_a_cache_that_no_longer_describes_the_events_is_not_used(tmp_path, monkeypatch):
    from digest.store import Store

    monkeypatch.setattr(readinglist, "CACHE_MIN_BYTES", 1)
    store = Store(tmp_path / "s")
    with store:
        store.append_events([{"type": "tag", "id": "a" * 16, "tag": "x"}, {"type": "tag", "id": "b" * 16, "tag": "y"}])
    readinglist.ReadingList.load(store)
    # events.jsonl replaced by a shorter history (a restored backup): the cache is longer than the file
    store.events_path.write_bytes(store.events_path.read_bytes().splitlines(keepends=True)[0])
    assert readinglist.ReadingList.load(store).tag_map() == {"a" * 16: ["x"]}
    # ... and a same-length file with other content: the fingerprint differs
    readinglist.ReadingList.load(store)
    store.events_path.write_bytes(store.events_path.read_bytes().replace(b'"x"', b'"z"'))
    assert readinglist.ReadingList.load(store).tag_map() == {"a" * 16: ["z"]}
    (store.root / "readinglist.json").write_text("{damaged")
    assert readinglist.ReadingList.load(store).tag_map() == {"a" * 16: ["z"]}
