"""RIS export (issue 14, item 17): what Zotero, EndNote and Mendeley import. Checked two ways: a
strict reader of our own (the line grammar) and rispy, an independent RIS parser; and never an
invented field."""

from __future__ import annotations

import re

import pytest

from digest.readinglist import Entry, Note
from digest.render.ris import render_ris

rispy = pytest.importorskip("rispy")

LINE = re.compile(r"^([A-Z][A-Z0-9])  - (.*)$")


def rec(i: int = 0, **kw) -> dict:
    d = {"id": f"{i:016x}", "title": f"Paper {i}", "abstract": "", "authors": [], "n_authors": None,
         "published": "2025-11-18", "arxiv_id": None, "url": None, "categories": [],
         "first_seen": "2026-11-20T07:30:00Z"}
    d.update(kw)
    return d


def entry(r: dict, tags=(), notes=()) -> Entry:
    return Entry(r, list(tags), [Note("2025-11-20T00:00:00Z", n) for n in notes], "")


def strict(text: str) -> list[list[tuple[str, str]]]:
    """Our own reader: CRLF lines, every one a tag line; TY opens, ER closes; no empty value."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    records, cur = [], None
    for line in text.split("\r\n")[:-1]:
        if not line:
            assert cur is None, "a blank line inside a record"
            continue
        m = LINE.match(line)
        assert m, f"not a RIS tag line: {line!r}"
        tag, value = m.groups()
        if tag == "TY":
            assert cur is None
            cur = [(tag, value)]
        elif tag == "ER":
            assert cur is not None and value == ""
            records.append(cur)
            cur = None
        else:
            assert cur is not None, f"{tag} outside a record"
            assert value.strip() == value and value, f"{tag}: empty or padded value {value!r}"
            cur.append((tag, value))
    assert cur is None, "a record without ER"
    return records


def test_an_arxiv_paper_with_everything_known():
    r = rec(1, title="Diffusion Policies for Dexterous RL", authors=["Anna Schmidt", "Li Wei", "Martin Luther King Jr."],
            abstract="We train diffusion policies.", arxiv_id="2511.01234", url="https://arxiv.org/abs/2511.01234",
            categories=["cs.LG", "cs.RO"])
    text = render_ris([entry(r, tags=["cite", "toread"], notes=["read section 3"])])
    (fields,) = strict(text)
    assert fields[0] == ("TY", "UNPB")  # an unpublished work: a preprint
    got = {}
    for tag, value in fields:
        got.setdefault(tag, []).append(value)
    assert got["TI"] == ["Diffusion Policies for Dexterous RL"]
    assert got["AU"] == ["Schmidt, Anna", "Wei, Li", "King, Martin Luther, Jr."]
    assert got["PY"] == ["2025"] and got["DA"] == ["2025/11/18"]
    assert got["UR"] == ["https://arxiv.org/abs/2511.01234"]
    assert got["DB"] == ["arXiv"] and got["AN"] == ["arXiv:2511.01234"]
    assert got["KW"] == ["cite", "toread"] and got["N1"] == ["read section 3"]
    assert got["AB"] == ["We train diffusion policies."]
    assert got["ID"] == ["schmidt2025diffusion"]  # the BibTeX key: one key per paper in both exports
    (parsed,) = rispy.loads(text)
    assert parsed["title"] == r["title"] and parsed["authors"][0] == "Schmidt, Anna"
    assert parsed["keywords"] == ["cite", "toread"] and parsed["year"] == "2025"


def test_nothing_is_invented():
    r = rec(2, title="A Survey of Tabular Benchmarks", n_authors=2, published=None,
            links=["https://github.com/x/y"], first_seen="2026-11-20T07:30:00Z")
    (fields,) = strict(render_ris([entry(r)]))
    tags = {t for t, _ in fields}
    assert "AU" not in tags  # only a count of authors was known
    assert not {"PY", "DA", "Y1"} & tags  # no publication date known: never the ingest date
    assert "UR" not in tags  # a code link is not the paper's page, and no search is a page
    assert not {"DB", "AN"} & tags
    assert "2026" not in render_ris([entry(r)])
    month_only = strict(render_ris([entry(rec(3, published="2025-11"))]))[0]
    assert ("PY", "2025") in month_only and ("DA", "2025/11") in month_only


def test_hostile_text_stays_on_its_line():
    evil = "Title\r\nER  - \r\nTY  - JOUR\r\nTI  - injected \x1b[31m\u202e"
    r = rec(4, title=evil, abstract="line one\nER  - \nline two", authors=["Eve\nER  - "])
    text = render_ris([entry(r, notes=["a note\r\nKW  - fake"])])
    records = strict(text)
    assert len(records) == 1
    assert "\x1b" not in text and "\u202e" not in text
    parsed = rispy.loads(text)
    assert len(parsed) == 1 and "injected" in parsed[0]["title"] and "keywords" not in parsed[0]


def test_many_entries_and_empty():
    entries = [entry(rec(i, authors=["Ada Lovelace"])) for i in range(5)]
    records = strict(render_ris(entries))
    assert len(records) == 5
    assert len({dict(r)["ID"] for r in records}) == 5  # unique ids (keys get b, c, ...)
    assert len(rispy.loads(render_ris(entries))) == 5
    assert render_ris([]) == ""
