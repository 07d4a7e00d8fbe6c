"""digest.sources.hf_json: the HF daily_papers JSON."""

from __future__ import annotations

import json

import pytest

from digest.errors import InputError
from digest.sources.feed import MAX_ABSTRACT_CHARS, parse_feed
from digest.sources.hf_json import parse_hf_json


def _fixture(data_dir):
    path = data_dir / "hf/daily_papers_2025-08-21.json"
    return parse_hf_json(path.read_bytes(), source=path.name)


def _entry(**paper) -> dict:
    base = {"id": "2508.30001", "title": "A Paper", "summary": "An abstract.", "authors": [{"name": "A B"}]}
    base.update(paper)
    return {"paper": base, "publishedAt": "2025-08-21T01:00:00.000Z", "numComments": 0}


def _parse(doc, source="hf.json"):
    return parse_hf_json(json.dumps(doc).encode(), source=source)


def test_fixture_maps_every_field(data_dir):
    result = _fixture(data_dir)
    assert result.kind == "hf_json"
    assert result.warnings == []
    assert result.date == "2025-08-21"  # every entry was featured that day
    assert [i.arxiv_id for i in result.items] == ["2508.21001", "2508.21010", "2508.21011", "2508.21012"]
    lora, video, bench, speech = result.items
    assert lora.title == "Low-Rank Adapters That Forget Gracefully"
    assert lora.abstract == (
        "We study how low-rank adapters forget. Adapters trained with our schedule keep 98% of their accuracy on old tasks."
    )
    assert lora.authors == ["Jana Fictional", "Karl Z. Invented", "Lee Madeup"]
    assert lora.n_authors == 3
    assert lora.published == "2025-08-20"
    assert lora.upvotes == 42
    assert lora.org == "Invented Lab of Learning"  # fullname preferred over name
    assert lora.url == "https://arxiv.org/abs/2508.21001"
    assert lora.links == [
        "https://arxiv.org/abs/2508.21001",
        "https://huggingface.co/papers/2508.21001",
        "https://github.com/invented-lab/graceful-lora",
    ]
    assert lora.source == "daily_papers_2025-08-21.json"
    assert video.title == "Video Diffusion with Sparse Temporal Attention"  # wrapped title collapsed
    assert video.abstract == "A video diffusion model that attends sparsely across frames, halving memory."
    assert video.org == "Example Vision Group"  # organization as a plain string
    assert video.upvotes == 7 and len(video.links) == 2
    assert bench.upvotes == 0 and bench.org is None
    assert bench.links[-1] == "https://sheet-agents.example.org"  # projectPage; githubRepo null ignored
    assert speech.authors == [] and speech.n_authors is None
    assert speech.org == "example-speech"  # from the entry's organization (no fullname)


def test_same_paper_as_in_a_feed_gets_the_same_id(data_dir):
    hf = {i.arxiv_id: i for i in _fixture(data_dir).items}
    feed = parse_feed((data_dir / "feeds/arxiv_rss_cs_LG.xml").read_bytes(), source="f")
    from_feed = {i.arxiv_id: i for i in feed.items}
    assert hf["2508.21001"].id == from_feed["2508.21001"].id


def test_single_object_is_accepted():
    result = _parse(_entry(title="Solo"))
    assert [i.title for i in result.items] == ["Solo"]


def test_entry_that_is_the_paper_itself():
    result = _parse([{"id": "2508.30002v2", "title": "Bare", "summary": "s", "authors": ["X Y", {"name": "Z W"}]}])
    (item,) = result.items
    assert item.arxiv_id == "2508.30002" and item.arxiv_version == 2
    assert item.authors == ["X Y", "Z W"]


def test_untitled_entries_are_skipped_with_a_warning():
    result = _parse([_entry(title=""), _entry(title=None, id="2508.30003"), _entry(title="Kept", id="2508.30004")])
    assert [i.title for i in result.items] == ["Kept"]
    assert result.warnings == ["hf.json: skipped 2 entries without a title (e.g. #1)"]


def test_top_level_title_is_a_fallback():
    doc = _entry()
    del doc["paper"]["title"]
    doc["title"] = "From the top level"
    assert _parse([doc]).items[0].title == "From the top level"


def test_lenient_values():
    result = _parse(
        [
            _entry(upvotes="12", organization={"name": "short-name"}, githubRepo="javascript:alert(1)"),
            _entry(id="2508.30005", title="B", upvotes=True, organization=["odd"], publishedAt="not a date"),
            _entry(id="not-an-arxiv-id", title="C", upvotes=-3, authors="nobody"),
        ]
    )
    a, b, c = result.items
    assert a.upvotes == 12 and a.org == "short-name"
    assert all("javascript" not in link for link in a.links)
    assert b.upvotes is None and b.org is None
    assert b.published == "2025-08-21"  # fell back to the entry's publishedAt
    assert c.arxiv_id is None and c.upvotes == 0 and c.authors == []
    assert c.url == "https://huggingface.co/papers/not-an-arxiv-id"


def test_empty_list_is_valid():
    result = _parse([])
    assert result.items == [] and result.warnings == [] and result.date is None


def test_caps():
    (item,) = _parse([_entry(summary="word " * 10_000, authors=[{"name": f"N {i}"} for i in range(900)])]).items
    assert len(item.abstract) <= MAX_ABSTRACT_CHARS and item.truncated
    assert len(item.authors) == 500 and item.n_authors == 900


@pytest.mark.parametrize(
    "data, message",
    [
        (b"[{]", "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 3)"),
        (b'[\n  {"paper": {"id": "1"}},\n  oops\n]', "invalid JSON: Expecting value (line 3, column 3)"),
        (b"", "invalid JSON: empty input"),
        (b"\xff\xfe\xfd", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_invalid_json(data, message):
    with pytest.raises(InputError) as info:
        parse_hf_json(data, source="bad.json")
    assert str(info.value).startswith("bad.json: " + message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"papers": []}, "expected a list of daily_papers entries, got an object (keys: papers)"),
        ("hello", "expected a list of daily_papers entries, got a string"),
        (42, "expected a list of daily_papers entries, got a number"),
        ([1, 2, 3], "expected a list of daily_papers entries"),
        ([{"foo": "bar"}], 'entry 1 is an object without a "paper"'),
        ({"error": "Invalid date"}, "Hugging Face API error: Invalid date"),
    ],
)
def test_wrong_shape(doc, message):
    with pytest.raises(InputError) as info:
        _parse(doc)
    assert message in str(info.value)


def test_some_bad_entries_are_skipped_with_a_warning():
    result = _parse([_entry(), "junk", {"nope": 1}])
    assert len(result.items) == 1
    assert result.warnings == ["hf.json: skipped 2 entries that are not daily_papers entries (e.g. #2)"]


def test_utf8_bom_and_utf16_are_decoded():
    text = json.dumps([_entry(title="Ünïcode")], ensure_ascii=False)
    assert _parse_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))[0].title == "Ünïcode"
    assert _parse_bytes(text.encode("utf-16"))[0].title == "Ünïcode"


def _parse_bytes(data: bytes):
    return parse_hf_json(data, source="b.json").items


def test_mixed_feature_days_give_no_date():
    a, b = _entry(), _entry(id="2508.30009", title="Other")
    b["publishedAt"] = "2025-08-22T01:00:00.000Z"
    assert _parse([a, b]).date is None


def test_an_integer_too_long_to_read_says_so_not_how_to_raise_pythons_limit():
    """json refuses an integer of more than 4,300 digits with Python's advice to call
    sys.set_int_max_str_digits(): the error says what the file holds instead."""
    data = '[{"paper": {"id": "2401.00001", "title": "A paper", "summary": "x", "upvotes": ' + "9" * 5000 + "}}]"
    with pytest.raises(InputError) as exc:
        parse_hf_json(data.encode(), source="big.json")
    assert str(exc.value) == "big.json: invalid JSON: an integer of 5000 digits (more than can be read)"
