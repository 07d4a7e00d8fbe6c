"""digest.sources.detect: kind detection by content, and the dispatcher."""

from __future__ import annotations

from datetime import date

import pytest

from digest.errors import InputError
from digest.sources.detect import KINDS, detect_kind, parse_bytes

REF = date(2025, 8, 21)


def test_kinds():
    assert KINDS == ("dump", "feed", "hf_json")


@pytest.mark.parametrize(
    "data, kind",
    [
        (b'[{"paper": {}}]', "hf_json"),
        (b'  \n {"paper": {}}', "hf_json"),
        (b"\xef\xbb\xbf[]", "hf_json"),
        ("[]".encode("utf-16"), "hf_json"),
        (b"<rss/>", "feed"),
        (b'\n\n<?xml version="1.0"?>\n<!-- c -->\n<feed xmlns="http://www.w3.org/2005/Atom"/>', "feed"),
        (b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a "b">]><rdf:RDF/>', "feed"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><rss/>", "feed"),
        ('<?xml version="1.0" encoding="utf-16"?><rss/>'.encode("utf-16"), "feed"),
        ('<?xml version="1.0" encoding="utf-16"?><rss/>'.encode("utf-16-be"), "feed"),
        (b"<catalog/>", "feed"),  # some XML: the feed parser will say what is wrong with it
    ],
)
def test_detect_by_content(data, kind):
    assert detect_kind(data, source="x") == kind


def test_detection_ignores_the_file_name(data_dir):
    data = (data_dir / "feeds/atom_generic.xml").read_bytes()
    assert detect_kind(data, source="papers.json") == "feed"
    assert detect_kind((data_dir / "hf/daily_papers_2025-08-21.json").read_bytes(), source="a.xml") == "hf_json"


@pytest.mark.parametrize("data", [b"", b"   \r\n\t", b"\xef\xbb\xbf", b"\xff\xfe", b"\xef\xbb\xbf \n"])
def test_empty_input(data):
    with pytest.raises(InputError, match="^in: empty input$"):
        detect_kind(data, source="in")


@pytest.mark.parametrize("data", [b"hello", b"\x00\x01\x02binary\x03", b"x" * 100])
def test_unrecognised(data):
    with pytest.raises(InputError) as info:
        detect_kind(data, source="in")
    assert str(info.value) == (
        "in: unrecognised input: not a Daily Papers dump, RSS/Atom feed or HF daily_papers JSON"
    )


def test_html_page_is_refused_with_a_hint():
    with pytest.raises(InputError, match="it is an HTML page"):
        detect_kind(b"<!DOCTYPE html>\n<html><head><title>Daily Papers</title></head></html>", source="p")


def test_every_real_feed_is_detected_as_feed(shared_dir):
    files = sorted((shared_dir / "feeds").glob("*/*"))
    assert files
    for path in files:
        data = path.read_bytes()
        if not data.strip():
            continue
        assert detect_kind(data, source=path.name) == "feed", path.name


def test_dispatch_feed(data_dir):
    result = parse_bytes((data_dir / "feeds/arxiv_rss_cs_LG.xml").read_bytes(), source="f", ref_date=REF)
    assert result.kind == "feed" and len(result.items) == 3


def test_dispatch_hf_json(data_dir):
    result = parse_bytes((data_dir / "hf/daily_papers_2025-08-21.json").read_bytes(), source="h", ref_date=REF)
    assert result.kind == "hf_json" and len(result.items) == 4


def test_forced_kind_wins(data_dir):
    data = (data_dir / "feeds/atom_generic.xml").read_bytes()
    with pytest.raises(InputError, match="invalid JSON"):
        parse_bytes(data, source="f", kind="hf_json", ref_date=REF)
    assert parse_bytes(data, source="f", kind="feed", ref_date=REF).kind == "feed"
    assert parse_bytes(data, source="f", kind="auto", ref_date=REF).kind == "feed"


def test_unknown_kind():
    with pytest.raises(InputError, match="unknown input kind 'csv'"):
        parse_bytes(b"[]", source="f", kind="csv", ref_date=REF)


def test_dispatch_errors_are_input_errors():
    with pytest.raises(InputError, match="empty input"):
        parse_bytes(b"", source="f", ref_date=REF)
    with pytest.raises(InputError, match="arXiv API error"):
        parse_bytes(
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>https://arxiv.org/api/errors#x</id>'
            b"<title>Error</title><summary>bad query</summary></entry></feed>",
            source="f",
            ref_date=REF,
        )


DUMP = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nAug 21\n\n"
    "An Invented Paper About Adapters\n\n"
    "We invent a method for adapters and show that it works on several invented benchmarks, "
    "with results that are entirely made up for this test.\n"
)


def test_dump_is_detected_and_dispatched():
    pytest.importorskip("digest.sources.dump")
    assert detect_kind(DUMP.encode(), source="d") == "dump"
    result = parse_bytes(DUMP.encode(), source="d", ref_date=REF)
    assert result.kind == "dump"
    assert [i.title for i in result.items] == ["An Invented Paper About Adapters"]


def test_real_dumps_are_detected(shared_dir):
    pytest.importorskip("digest.sources.dump")
    dumps = sorted((shared_dir / "dumps").glob("*.txt"))
    assert dumps
    for path in dumps:
        assert detect_kind(path.read_bytes(), source=path.name) == "dump", path.name
