"""Which stored paper an incoming one is: new, updated or unchanged (digest.ingest.diff)."""

from __future__ import annotations

import pytest

from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.sources.feed import parse_feed
from digest.store import Store

ENTRY = """
  <entry>
    <id>http://arxiv.org/abs/{aid}v1</id>
    <published>2024-01-20T18:00:00Z</published>
    <title>{title}</title>
    <summary>{summary}</summary>
    <author><name>{author}</name></author>
    <link href="http://arxiv.org/abs/{aid}v1" rel="alternate" type="text/html"/>
    <category term="{cat}"/>
  </entry>"""


def atom(*entries: dict) -> bytes:
    body = "".join(ENTRY.format(**e) for e in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>ArXiv Query</title><id>http://arxiv.org/api/q</id>{body}\n</feed>\n").encode()


INTRO_A = {"aid": "2401.12345", "title": "Introduction", "summary": "We introduce a learned index.",
           "author": "Alice Smith", "cat": "cs.LG"}
INTRO_B = {"aid": "2401.99999", "title": "Introduction", "summary": "An introduction to sheaf cohomology for graduate students, with exercises.",
           "author": "Carol White", "cat": "math.AG"}
INTRO_C = {"aid": "2402.00077", "title": "Introduction.", "summary": "Notes for a course on optics.",
           "author": "Dan Brown", "cat": "physics.optics"}


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "s", lock_timeout=2)


def feed_items(tmp_path, name, *entries):
    path = tmp_path / name
    path.write_bytes(atom(*entries))
    return parse_feed(path.read_bytes(), source=str(path)).items


def stored(store):
    return sorted((r["arxiv_id"], r["title"], r["authors"]) for r in store.iter_records())


def test_two_arxiv_papers_with_one_title_in_one_feed_stay_two(store, tmp_path):
    items = feed_items(tmp_path, "feed.xml", INTRO_A, INTRO_B, INTRO_C)
    with store:
        r = ingest_items(store, items, source="feed.xml")
    assert (len(r.new), r.merged) == (3, 0)
    assert stored(store) == [("2401.12345", "Introduction", ["Alice Smith"]),
                             ("2401.99999", "Introduction", ["Carol White"]),
                             ("2402.00077", "Introduction.", ["Dan Brown"])]
    assert len({rec["id"] for rec in store.iter_records()}) == 3
    with store:  # the same feed again: each finds its own record
        again = ingest_items(store, feed_items(tmp_path, "feed.xml", INTRO_A, INTRO_B, INTRO_C), source="feed.xml")
    assert (len(again.new), len(again.updated), len(again.unchanged)) == (0, 0, 3)


def test_a_batch_of_papers_sharing_a_stored_title_keeps_each_apart(store, tmp_path):
    with store:  # a Daily Papers page named it first: no arXiv id
        ingest_items(store, [Item(title="Introduction", abstract="We introduce a learned index.")], source="page")
    items = feed_items(tmp_path, "feed.xml", INTRO_A, INTRO_B, INTRO_C)
    with store:
        r = ingest_items(store, items, source="feed.xml")
    assert (len(r.new), len(r.updated), r.merged) == (2, 1, 0)
    assert r.updated[0]["arxiv_id"] == "2401.12345"  # the first to claim the page's paper
    assert stored(store) == [("2401.12345", "Introduction", ["Alice Smith"]),
                             ("2401.99999", "Introduction", ["Carol White"]),
                             ("2402.00077", "Introduction.", ["Dan Brown"])]


def test_one_paper_twice_in_a_batch_is_still_merged(store, tmp_path):
    page = Item(title="Introduction", abstract="We introduce a learned index.", upvotes=4)
    with store:
        r = ingest_items(store, [page, *feed_items(tmp_path, "feed.xml", INTRO_A)], source="mixed")
    assert (len(r.new), r.merged) == (1, 1)
    assert r.new[0]["arxiv_id"] == "2401.12345" and r.new[0]["upvotes"] == 4


INTRO_PAGE = """Daily Papers

byAK and the research community

Mar 11

Introduction

An introduction to sheaf cohomology for graduate students, with exercises.

  • 1 authors
·
Jan 20, 2024 7
"""


def page_items(tmp_path, text=INTRO_PAGE):
    import datetime

    from digest.sources.dump import parse_dump

    path = tmp_path / "page.txt"
    path.write_text(text)
    return parse_dump(path.read_text(), source=str(path), ref_date=datetime.date(2024, 3, 12)).items


def test_a_page_without_arxiv_ids_goes_to_the_paper_of_its_title_with_its_abstract(store, tmp_path):
    with store:
        ingest_items(store, feed_items(tmp_path, "feed.xml", INTRO_A, INTRO_B), source="feed.xml")
    with store:
        r = ingest_items(store, page_items(tmp_path), source="page.txt")
    assert (len(r.new), len(r.updated)) == (0, 1)
    assert (r.updated[0]["arxiv_id"], r.updated[0]["upvotes"]) == ("2401.99999", 7)
    by_arxiv = {rec["arxiv_id"]: rec for rec in store.iter_records()}
    assert by_arxiv["2401.12345"]["upvotes"] is None and len(by_arxiv["2401.12345"]["sources"]) == 1


def test_in_one_input_too_a_title_shared_by_two_papers_goes_by_its_abstract(store, tmp_path):
    items = feed_items(tmp_path, "feed.xml", INTRO_A, INTRO_B) + page_items(tmp_path)
    with store:
        r = ingest_items(store, items, source="mixed")
    assert (len(r.new), r.merged) == (2, 1)
    assert {rec["arxiv_id"]: rec["upvotes"] for rec in store.iter_records()} == {"2401.12345": None, "2401.99999": 7}


def test_titles_of_no_letters_or_digits_are_told_apart_by_the_title_itself(store, tmp_path):
    # the title key of "🤖" and of "🦾" is empty: it matches no other title
    page = """Daily Papers

Mar 11

🤖

A paper whose title is one robot emoji, about robots in general and their arms.

  • 1 authors
·
Jan 20, 2024 7

🦾

A paper whose title is one arm emoji, about prosthetics and how people use them.

  • 1 authors
·
Jan 20, 2024 3
"""
    with store:
        r = ingest_items(store, page_items(tmp_path, page), source="page.txt")
    assert (len(r.new), r.merged) == (2, 0)
    with store:
        again = ingest_items(store, page_items(tmp_path, page) + [Item(title="∑", abstract="Sums.")], source="x")
    assert (len(again.new), len(again.unchanged)) == (1, 2)
    assert sorted((rec["title"], rec["upvotes"]) for rec in store.iter_records()) == [
        ("∑", None), ("🤖", 7), ("🦾", 3)]
