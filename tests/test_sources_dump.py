"""digest.sources.dump: the Daily Papers text-dump parser.

Real dumps from ../shared are read through the ``shared_dir`` fixture; the
robustness cases use our own fixtures in tests/data/dumps (invented papers in
the real format). Line-ending and spacing variants are also built in memory
from basic.txt, so they test the exact bytes whatever git does to the files.
"""

from __future__ import annotations

import datetime
import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import InputError
from digest.item import Item, ParseResult
from digest.sources.dump import HEADER_LINES, extract_links, looks_like_dump, parse_dump

REF = datetime.date(2025, 11, 20)
FIXTURE_REF = datetime.date(2025, 3, 20)

REAL = {
    # file: (items, page date with REF, first title, last title)
    "000_e41e4582f0d52bab.txt": (
        91,
        "2025-03-11",
        "Few-shot Hybrid Domain Adaptation of Image Generators",
        "What's New in My Data? Novelty Exploration via Contrastive Generation",
    ),
    "002_1d3f5be2ad28286e.txt": (
        90,
        "2025-11-12",
        "Contrastive Language-Image Pretrained Models are Zero-Shot Human Scanpath Predictors",
        "What Language Model Architecture and Pretraining Objective Work Best for Zero-Shot Generalization?",
    ),
    "004_04796b6cbbd5b216.txt": (
        94,
        "2025-03-11",
        "Zoology: Measuring and Improving Recall in Efficient Language Models",
        "Neural Circuit Diagrams: Robust Diagrams for the Communication, "
        "Implementation, and Analysis of Deep Learning Architectures",
    ),
}

_DATE_LINE = re.compile(r"[A-Z][a-z]{2} \d{1,2}(, \d{4})?( \d+)?")


def _parse_file(path, ref_date=FIXTURE_REF) -> ParseResult:
    return parse_dump(path.read_bytes(), source=str(path), ref_date=ref_date)


def _by_title(result: ParseResult) -> dict[str, Item]:
    return {item.title: item for item in result.items}


def _dicts(result: ParseResult) -> list[dict]:
    return [{k: v for k, v in item.to_dict().items() if k != "source"} for item in result.items]


@pytest.fixture
def dumps(data_dir):
    return data_dir / "dumps"


@pytest.fixture
def basic(dumps) -> bytes:
    return (dumps / "basic.txt").read_bytes()


# -- real dumps ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_dump_counts_and_titles(shared_dir, name):
    path = shared_dir / "dumps" / name
    count, page_date, first, last = REAL[name]
    result = parse_dump(path.read_bytes(), source=str(path), ref_date=REF)

    assert result.kind == "dump"
    assert result.source == str(path)
    assert result.date == page_date
    assert result.warnings == []
    assert len(result.items) == count
    assert result.items[0].title == first
    assert result.items[-1].title == last

    headers = {h.casefold() for h in HEADER_LINES}
    for item in result.items:
        assert item.title and item.title.casefold() not in headers
        assert not _DATE_LINE.fullmatch(item.title)
        assert "authors" not in item.title and item.title != "·"
        assert len(item.abstract) > 1000  # every real abstract is long
        assert item.abstract == item.abstract.strip()
        assert item.authors == [] and item.arxiv_id is None and item.url is None
        assert item.source == str(path)
        assert not item.truncated  # the real dumps end normally
    assert len({item.id for item in result.items}) == count


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_dump_recovers_every_title_and_abstract(shared_dir, name):
    """Cross-check against an independent, naive reading of the file."""
    path = shared_dir / "dumps" / name
    lines = path.read_text(encoding="utf-8").split("\n")
    abstracts = [line for line in lines if len(line) > 500]
    titles = [
        lines[k]
        for k in range(len(lines) - 2)
        if lines[k] and not lines[k + 1] and len(lines[k + 2]) > 500
    ]
    result = parse_dump(path.read_bytes(), source=str(path), ref_date=REF)
    assert [item.title for item in result.items] == titles
    assert [item.abstract for item in result.items] == abstracts


def test_real_dump_metadata(shared_dir):
    path = shared_dir / "dumps" / "002_1d3f5be2ad28286e.txt"
    result = parse_dump(path.read_text(encoding="utf-8"), source="002", ref_date=REF)
    items = _by_title(result)

    first = result.items[0]
    assert (first.n_authors, first.published, first.upvotes, first.org) == (7, "2023-05-21", None, None)

    chronos = items["Chronos-2: From Univariate to Universal Forecasting"]
    assert chronos.org == "Amazon"
    assert chronos.upvotes == 3
    assert chronos.n_authors is None
    assert chronos.published == "2025-10-17"  # "Oct 17": the dump's year

    prox = items["Programming Every Example: Lifting Pre-training Data Quality like Experts at Scale"]
    assert (prox.published, prox.upvotes, prox.n_authors) == ("2024-09-25", 4, 5)

    predictive = items["Predictive Data Selection: The Data That Predicts Is the Data That Teaches"]
    assert (predictive.published, predictive.upvotes, predictive.n_authors) == ("2025-03-02", 2, 8)

    assert items["Predictions For Pre-training Language Models"].n_authors == 1  # "1 authors"
    assert items["Pre-Trained Models: Past, Present and Future"].n_authors == 24
    # every entry of this dump has a complete metadata block
    assert all(item.n_authors or item.org for item in result.items)
    assert all(item.published for item in result.items)
    assert sum(item.upvotes is not None for item in result.items) == 10
    assert [item.org for item in result.items if item.org] == ["Amazon"]


def test_real_dump_year_inference(shared_dir):
    path = shared_dir / "dumps" / "002_1d3f5be2ad28286e.txt"
    chronos = "Chronos-2: From Univariate to Universal Forecasting"
    # In January the "Nov 12" page is from last November.
    jan = parse_dump(path.read_bytes(), source="002", ref_date=datetime.date(2026, 1, 5))
    assert jan.date == "2025-11-12"
    assert _by_title(jan)[chronos].published == "2025-10-17"
    # On Nov 1 2025, "Nov 12" would lie ahead: the page is from 2024, and
    # "Oct 17" is relative to the page date, so 2024 too.
    nov = parse_dump(path.read_bytes(), source="002", ref_date=datetime.date(2025, 11, 1))
    assert nov.date == "2024-11-12"
    assert _by_title(nov)[chronos].published == "2024-10-17"
    # Dates with a year do not move.
    assert nov.items[0].published == "2023-05-21"


def test_real_dump_links(shared_dir):
    r0 = parse_dump((shared_dir / "dumps" / "004_04796b6cbbd5b216.txt").read_bytes(), source="4", ref_date=REF)
    items = _by_title(r0)
    assert items["Zoology: Measuring and Improving Recall in Efficient Language Models"].links == [
        "https://github.com/HazyResearch/zoology"
    ]
    assert items["Gradient Boosting Reinforcement Learning"].links == ["https://github.com/NVlabs/gbrl"]
    assert items["Pointer Networks"].links == []
    assert sum(len(item.links) for item in r0.items) == 25
    for item in r0.items:
        for url in item.links:
            assert url.startswith(("http://", "https://")) and url[-1] not in ".,)"
            assert url in item.abstract

    r2 = parse_dump((shared_dir / "dumps" / "002_1d3f5be2ad28286e.txt").read_bytes(), source="2", ref_date=REF)
    plip = _by_title(r2)["PLIP: Language-Image Pre-training for Person Representation Learning"]
    assert plip.links == ["https://github.com/Zplusdragon/PLIP"]  # written "at~https://..."


def test_real_dumps_sniffed(shared_dir):
    for name in REAL:
        head = (shared_dir / "dumps" / name).read_bytes()[:4096].decode("utf-8", "ignore")
        assert looks_like_dump(head)


# -- our fixtures: the format ---------------------------------------------------


def test_basic_fixture(dumps):
    result = _parse_file(dumps / "basic.txt")
    assert result.warnings == []
    assert result.date == "2025-03-11"
    assert [item.title for item in result.items] == [
        "Sparse Mixture Routing for Efficient Language Model Pre-training",
        "Can $\\alpha$-Divergences Tame Reward Hacking?",
        "Echoes: Self-Supervised Speech Units Without Labels!",
        "Grasp Whatever",
        "RetroFit: Retrieval-Augmented Fine-Tuning at Scale",
        "Diffusion Policies Meet Model Predictive Control",
    ]
    smr, alpha, echoes, grasp, retrofit, diffusion = result.items
    assert (smr.n_authors, smr.published, smr.upvotes, smr.org) == (6, "2024-02-27", None, None)
    assert smr.links == ["https://github.com/example-lab/smr"]
    assert smr.abstract.startswith("Pre-training large language models is dominated")
    assert smr.abstract.endswith("https://github.com/example-lab/smr.")
    assert (alpha.published, alpha.upvotes) == ("2025-03-02", 5)
    # an organisation line instead of the authors line; "Oct 17" lies after
    # the page date (Mar 11, 2025), so it is from the year before
    assert (echoes.org, echoes.n_authors, echoes.published, echoes.upvotes) == (
        "Acme Research",
        None,
        "2024-10-17",
        3,
    )
    assert echoes.links == ["https://example.org/echoes"]
    assert (grasp.n_authors, grasp.published, grasp.upvotes) == (1, "2023-12-05", 2)
    assert retrofit.links == ["https://retrofit.example.org"]
    assert (retrofit.n_authors, retrofit.published) == (12, "2025-03-09")
    # a handle that does not spell the display name: the whole line is kept
    assert diffusion.org == "openrobotics Open Robotics Collective"
    assert (diffusion.n_authors, diffusion.published) == (4, "2025-01-30")
    for item in result.items:
        assert item.authors == [] and item.arxiv_id is None and item.url is None
        assert not item.truncated
        assert item.source == str(dumps / "basic.txt")


def test_plain_fixture_without_metadata(dumps):
    result = _parse_file(dumps / "plain.txt")
    assert result.warnings == []
    assert result.date == "2024-11-12"  # Nov 12 lies after the ref date Mar 20, 2025
    assert len(result.items) == 4
    assert all(i.n_authors is None and i.published is None and i.upvotes is None for i in result.items)
    assert result.items[1].links == ["https://github.com/example-lab/gnn-solvers"]
    assert result.items[-1].links == ["https://example.com/wavemix"]  # "(see https://...)."
    assert not result.items[-1].truncated  # ends with ")." - a finished sentence


def test_str_and_bytes_and_datetime_ref(basic):
    a = parse_dump(basic, source="x", ref_date=FIXTURE_REF)
    b = parse_dump(basic.decode("utf-8"), source="x", ref_date=FIXTURE_REF)
    c = parse_dump(bytearray(basic), source="x", ref_date=datetime.datetime(2025, 3, 20, 23, 59))
    assert _dicts(a) == _dicts(b) == _dicts(c)
    assert a.date == b.date == c.date == "2025-03-11"


# -- robustness ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crlf.txt", "cr.txt", "bom.txt"])
def test_line_ending_and_bom_fixtures(dumps, name):
    data = (dumps / name).read_bytes()
    expected = _parse_file(dumps / "basic.txt")
    result = parse_dump(data, source=name, ref_date=FIXTURE_REF)
    assert _dicts(result) == _dicts(expected)
    assert result.date == "2025-03-11" and result.warnings == []


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b.replace(b"\n", b"\r"), id="lone-cr"),
        pytest.param(
            lambda b: b"\r\n".join(
                line + (b"\r" if k % 3 == 0 else b"") for k, line in enumerate(b.split(b"\n"))
            ),
            id="mixed-cr-crlf",
        ),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="bom"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"), id="bom-crlf"),
        pytest.param(lambda b: b.replace(b"\n", b"  \t\n"), id="trailing-spaces"),
        pytest.param(lambda b: b.replace(b"\n", b" \xc2\xa0\n"), id="trailing-nbsp"),
        pytest.param(lambda b: b"\n\n\n" + b.replace(b"\n\n", b"\n\n\n\n\n") + b"\n\n\n", id="extra-blanks"),
        pytest.param(lambda b: b.replace(b"\n\n", b"\n"), id="no-blank-lines"),
        pytest.param(lambda b: b.rstrip(b"\n"), id="no-final-newline"),
    ],
)
def test_basic_survives(basic, transform):
    expected = parse_dump(basic, source="x", ref_date=FIXTURE_REF)
    result = parse_dump(transform(basic), source="x", ref_date=FIXTURE_REF)
    assert _dicts(result) == _dicts(expected)
    assert result.date == expected.date
    assert result.warnings == []


def test_messy_fixture(dumps):
    result = _parse_file(dumps / "messy.txt")
    assert result.date == "2024-06-03"
    assert [item.title for item in result.items] == [
        "Protein Language Models Learn Folding Pathways",
        "Federated Learning with Stale Clients: Does Asynchrony Hurt?",
        "Code Agents That Read the Manual",
    ]
    protein, federated, agents = result.items
    # title directly followed by the abstract (no blank line), trailing spaces everywhere
    assert protein.abstract.startswith("Protein language models trained on sequences alone")
    assert protein.abstract.endswith("from evolutionary data.")
    assert (protein.n_authors, protein.published, protein.upvotes) == (5, "2024-05-30", 4)
    # an abstract that starts with a bullet is still the abstract
    assert federated.abstract.startswith("• Asynchronous federated learning")
    assert (federated.n_authors, federated.published) == (7, "2024-04-22")
    assert (agents.n_authors, agents.published) == (3, "2024-06-01")
    assert not any(item.truncated for item in result.items)
    # the orphaned title is dropped, the page footer ignored, both with a warning
    assert any("without an abstract" in w and "An Orphaned Title" in w for w in result.warnings)
    assert any("4 lines after the last paper" in w for w in result.warnings)
    assert len(result.warnings) == 2


def test_hard_wrapped_title_and_abstract(dumps):
    result = _parse_file(dumps / "wrapped.txt")
    assert result.warnings == []
    first, second = result.items
    assert first.title == "Masked Autoencoders for Event Camera Streams"
    assert first.abstract.startswith("Event cameras report brightness changes asynchronously and with microsecond latency.")
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.abstract.endswith("with little labelled data.")
    assert (first.n_authors, first.published) == (3, "2025-02-10")
    # title, abstract and metadata without any blank line
    assert second.title == "Curriculum Distillation for Small Reasoning Models"
    assert (second.n_authors, second.published, second.upvotes) == (4, "2025-02-12", 7)


def test_truncated_final_abstract(dumps):
    result = _parse_file(dumps / "truncated_abstract.txt")
    assert len(result.items) == 3
    *complete, last = result.items
    assert last.title == "Low-Rank Adapters Forget Less Than You Think"
    assert last.truncated
    assert last.abstract.endswith("we introduce a lightweight adap")
    assert not any(item.truncated for item in complete)
    assert (complete[1].n_authors, complete[1].published) == (6, "2024-04-02")
    assert any("cut off" in w for w in result.warnings)


def test_truncated_final_metadata_block(dumps):
    result = _parse_file(dumps / "truncated_meta.txt")
    assert len(result.items) == 2
    first, last = result.items
    assert not first.truncated
    assert last.truncated  # authors line and "·", then the file ends
    assert (last.n_authors, last.published, last.upvotes) == (3, None, None)
    assert last.abstract.endswith("than on the adapter rank.")


def test_final_title_without_abstract_dropped(dumps):
    result = _parse_file(dumps / "truncated_title.txt")
    assert [item.title for item in result.items] == [
        "Streaming Speech Translation With Monotonic Attention",
        "Low-Rank Adapters Forget Less Than You Think",
    ]
    assert not any(item.truncated for item in result.items)
    assert len(result.warnings) == 1
    assert "final title" in result.warnings[0] and "World Models for Household Robots" in result.warnings[0]


def test_truncated_when_metadata_block_missing_at_the_end(basic):
    # Cut right after the last abstract: every other entry has a metadata block.
    cut = basic[: basic.rindex(b"  \xe2\x80\xa2 4 authors")]
    result = parse_dump(cut, source="x", ref_date=FIXTURE_REF)
    assert len(result.items) == 6
    assert result.items[-1].truncated and result.items[-1].n_authors is None
    assert not any(item.truncated for item in result.items[:-1])


def test_cut_mid_abstract_with_short_stub(basic):
    data = basic + b"\nA Final Paper Title\n\nWe propose a"
    result = parse_dump(data, source="x", ref_date=FIXTURE_REF)
    assert len(result.items) == 7
    assert result.items[-1].title == "A Final Paper Title"
    assert result.items[-1].abstract == "We propose a"
    assert result.items[-1].truncated


def test_duplicate_entries_merged(dumps):
    result = _parse_file(dumps / "duplicate.txt")
    assert [item.title for item in result.items] == [
        "How Reward Models Scale With Preference Data",
        "Self-Correcting Retrieval for Multi-Hop Question Answering",
    ]
    merged = result.items[0]
    assert (merged.n_authors, merged.published, merged.upvotes) == (5, "2024-09-24", 12)  # the richer copy
    assert result.items[1].links == ["https://github.com/example-lab/scr"]
    assert result.merged == 1 and result.warnings == []  # counted as merged by ingest and parse


def test_whole_dump_pasted_twice(basic):
    result = parse_dump(basic + b"\n\n" + basic, source="x", ref_date=FIXTURE_REF)
    expected = parse_dump(basic, source="x", ref_date=FIXTURE_REF)
    assert _dicts(result) == _dicts(expected)
    assert result.merged == 6 and result.warnings == []


def test_duplicate_keeps_complete_copy_over_truncated(dumps):
    data = (dumps / "truncated_abstract.txt").read_bytes()
    complete = (
        b"\n\nLow-Rank Adapters Forget Less Than You Think\n\n"
        b"Parameter-efficient fine-tuning methods are often assumed to forget less. We test it.\n\n"
        b"  \xe2\x80\xa2 3 authors\n\xc2\xb7\nApr 1\n"
    )
    result = parse_dump(complete + data, source="x", ref_date=FIXTURE_REF)
    assert len(result.items) == 3
    lora = result.items[0]
    assert lora.title == "Low-Rank Adapters Forget Less Than You Think"
    assert not lora.truncated and lora.n_authors == 3 and lora.published == "2024-04-01"
    assert result.merged == 1


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n\r\n \t \n", "\ufeff\n  \n", b"\xef\xbb\xbf \r\n"])
def test_empty_dump(data):
    with pytest.raises(InputError, match="empty dump: no papers found") as info:
        parse_dump(data, source="empty.txt", ref_date=FIXTURE_REF)
    assert info.value.path == "empty.txt"


def test_empty_fixture(dumps):
    with pytest.raises(InputError, match="empty dump: no papers found"):
        _parse_file(dumps / "empty.txt")


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\x03binary",
        b"Title\n\nAn abstract with a NUL \x00 byte inside it, which text never has.",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xfeT\x00i\x00t\x00l\x00e\x00",  # UTF-16
        b"caf\xe9 au lait, a Latin-1 text that is not UTF-8 at all",
        bytes(range(1, 32)) * 20,
        "Title\x00\n\nabstract",
    ],
)
def test_binary_rejected(data):
    with pytest.raises(InputError, match=r"not a text dump \(binary data\)") as info:
        parse_dump(data, source="blob.bin", ref_date=FIXTURE_REF)
    assert info.value.path == "blob.bin"


def test_header_only(dumps):
    with pytest.raises(InputError, match="no papers found"):
        _parse_file(dumps / "header_only.txt")


def test_text_without_entries(dumps):
    with pytest.raises(InputError, match="no papers found"):
        _parse_file(dumps / "not_a_dump.txt")
    with pytest.raises(InputError, match="no papers found"):
        parse_dump("x" * 5000 + "\n", source="x", ref_date=FIXTURE_REF)


def test_odd_bullets_do_not_crash(dumps):
    result = _parse_file(dumps / "odd_bullets.txt")
    assert [item.title for item in result.items] == ["Bullets • Everywhere: Robust Parsing of Odd Inputs"]
    item = result.items[0]
    assert item.abstract.startswith("• We test a parser")
    assert (item.n_authors, item.published) == (2, "2025-07-01")
    assert any("A Title Whose Abstract Is a Middle Dot" in w for w in result.warnings)


@pytest.mark.parametrize(
    "text",
    [
        "·\n",
        "•\n",
        "  • 3 authors\n·\nMar 3\n",
        "Title\n\n·\n\n·\n",
        "Title\n\n• 3 authors\n",
        "Daily Papers\n\nMar 11\n\nTitle Only\n",
        "Mar 11\n\nMar 12\n\n12\n",
    ],
)
def test_degenerate_inputs_raise_input_error(text):
    with pytest.raises(InputError):
        parse_dump(text, source="x", ref_date=FIXTURE_REF)


# -- dates ---------------------------------------------------------------------------


def _entry(title: str, date_line: str) -> str:
    return (
        f"{title}\n\nWe study a problem in machine learning and report results on several benchmarks.\n\n"
        f"  • 2 authors\n·\n{date_line}\n\n"
    )


def test_year_rollover():
    text = "Daily Papers\n\nJan 3\n\n" + _entry("Paper One", "Dec 28") + _entry("Paper Two", "Jan 2 9")
    result = parse_dump(text, source="x", ref_date=datetime.date(2025, 1, 10))
    assert result.date == "2025-01-03"
    one, two = result.items
    assert one.published == "2024-12-28"  # after the page date: the year before
    assert (two.published, two.upvotes) == ("2025-01-02", 9)


def test_page_date_on_leap_day():
    result = parse_dump("Feb 29\n\n" + _entry("Paper", "Feb 28"), source="x", ref_date=datetime.date(2025, 3, 1))
    assert result.date == "2024-02-29"
    assert result.items[0].published == "2024-02-28"


def test_a_dated_leap_day_is_kept_only_in_a_leap_year():
    kept = parse_dump(_entry("Paper", "Feb 29, 2024 3"), source="x", ref_date=FIXTURE_REF).items[0]
    assert (kept.published, kept.upvotes) == ("2024-02-29", 3)
    result = parse_dump(_entry("Paper", "Feb 29, 2023 3"), source="x", ref_date=FIXTURE_REF)
    assert result.items[0].published is None and result.warnings


def test_invalid_date_ignored_with_warning():
    result = parse_dump(_entry("Paper", "Feb 30, 2023 4"), source="x", ref_date=FIXTURE_REF)
    item = result.items[0]
    assert item.published is None and item.upvotes == 4 and item.n_authors == 2
    assert any("invalid date" in w for w in result.warnings)
    assert result.date is None  # no page date line


def test_full_month_names():
    result = parse_dump(_entry("Paper", "September 5, 2024"), source="x", ref_date=FIXTURE_REF)
    assert result.items[0].published == "2024-09-05"


# -- links ---------------------------------------------------------------------------


def test_extract_links():
    text = (
        "Code: https://github.com/a/b. Data (https://example.org/d), demo at "
        "http://x.y/z_(1) and https://github.com/a/b again; see https://e.com/p?q=1&r=2, "
        "or https://e.com/end)."
    )
    assert extract_links(text) == [
        "https://github.com/a/b",
        "https://example.org/d",
        "http://x.y/z_(1)",
        "https://e.com/p?q=1&r=2",
        "https://e.com/end",
    ]
    assert extract_links("no links here, only https:// alone") == []
    assert extract_links("") == []


# -- sniffing --------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>cs.LG updates on arXiv.org</title>
<item><title>A Paper</title><description>An abstract of a paper that is long enough to be prose.</description></item>
</channel></rss>
"""
ATOM = '<feed xmlns="http://www.w3.org/2005/Atom">\n<title>arXiv</title>\n</feed>\n'
JSON_LIST = '[{"paper": {"id": "2401.00001", "title": "A Paper", "summary": "An abstract that is long enough to be prose, really."}}]'
JSON_OBJ = '\n  {"title": "A Paper",\n "summary": "An abstract that is long enough to look like prose text."}'


def test_looks_like_dump(basic, dumps):
    assert looks_like_dump(basic.decode("utf-8"))
    assert looks_like_dump(basic.decode("utf-8")[:300])
    assert looks_like_dump("\ufeff" + basic.decode("utf-8").replace("\n", "\r\n"))
    assert looks_like_dump((dumps / "plain.txt").read_text(encoding="utf-8")[:1000])
    assert looks_like_dump((dumps / "truncated_meta.txt").read_text(encoding="utf-8")[:200])
    # no header: a title, a blank line, an abstract (possibly cut by the head's end)
    assert looks_like_dump(
        "Grasp Whatever\n\nWe present a grasp planner for unseen objects that conditions a diffusion model"
    )
    assert looks_like_dump("Grasp Whatever\n\nWe present a grasp planner for")
    for text in (RSS, ATOM, JSON_LIST, JSON_OBJ, "", "   \n\n", "<html><body>Daily Papers</body></html>", "{}"):
        assert not looks_like_dump(text), text
    assert not looks_like_dump("just one line of text")
    assert not looks_like_dump("milk\neggs\nbread\n")


# -- the packaged sample -----------------------------------------------------------------


def test_packaged_sample_dump():
    text = resources.files("digest.data").joinpath("sample_dump.txt").read_text(encoding="utf-8")
    assert looks_like_dump(text[:4096])
    result = parse_dump(text, source="sample_dump.txt", ref_date=datetime.date(2025, 11, 20))
    assert result.warnings == []
    assert result.date == "2025-11-14"
    assert 12 <= len(result.items) <= 20
    assert len({item.id for item in result.items}) == len(result.items)
    assert sum(1 for item in result.items if item.org) == 1
    assert sum(1 for item in result.items if item.links) >= 2
    assert any(item.upvotes for item in result.items)
    published = [item.published for item in result.items]
    assert all(published)
    assert any(p.startswith("2024-") for p in published) and any(p.startswith("2025-") for p in published)
    assert not any(item.truncated for item in result.items)
    words = " ".join(f"{i.title} {i.abstract}".lower() for i in result.items)
    for topic in ("diffusion", "pre-train", "reinforcement learning", "retrieval", "speech", "robot"):
        assert topic in words, topic


def test_entry_followed_by_a_final_title_is_not_truncated():
    text = (
        "Daily Papers\n\nMar 11\n\nA Paper Whose Abstract Ends With a Word\n\n"
        "We study a problem in machine learning and release our code and all pre-trained models\n\n"
        "A Title Cut Off From Its Abstract\n"
    )
    result = parse_dump(text, source="x", ref_date=FIXTURE_REF)
    assert [item.title for item in result.items] == ["A Paper Whose Abstract Ends With a Word"]
    assert not result.items[0].truncated
    assert len(result.warnings) == 1 and "final title" in result.warnings[0]


# -- fuzz: odd line sequences never crash ------------------------------------------------

_LINES = [
    "",
    "",
    "   ",
    "new",
    "Daily Papers",
    "Mar 11",
    "Feb 29",
    "Oct 17 3",
    "Sep 25, 2024 4",
    "Feb 30, 2023",
    "12",
    "  • 7 authors",
    "• 1 authors",
    "·",
    "•",
    "amazon Amazon",
    "A Short Title",
    "Can $\\alpha$ Be Tamed? Yes!",
    "• We start with a bullet and then write a sentence that is long enough to count.",
    "We study a problem in machine learning and show results on a few benchmarks at https://x.org/a).",
    "x" * 400,
    "Tail words without a final period",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=40), st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_never_crashes(lines, newline):
    text = newline.join(lines)
    try:
        result = parse_dump(text, source="fuzz", ref_date=FIXTURE_REF)
    except InputError as exc:
        assert exc.path == "fuzz"
        return
    assert result.items
    for item in result.items:
        assert item.title and item.abstract
        assert item.title.casefold() not in HEADER_LINES
        assert item.published is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.published)
    assert sum(item.truncated for item in result.items) <= 1
    assert len({item.id for item in result.items}) == len(result.items)


@pytest.mark.parametrize("extra", ["", "\x07"], ids=["only unsafe characters that are not ASCII", "an ASCII control too"])
def test_a_dump_read_in_chunks_has_its_unsafe_characters_spaced_as_a_whole_text(extra):
    """A dump over a megabyte is decoded chunk by chunk and its unsafe characters found per
    line (bytes.translate for the ASCII ones, the regex on the lines that are not ASCII): the
    same papers as the text read at once."""
    from datetime import date

    from digest.sources import dump

    entries = []
    for i in range(2000):
        title = f"Paper {i} on r\u00e9sum\u00e9 parsing" + ("\u202e tail" if i % 7 == 0 else "")
        abstract = (f"We study problem {i} with words and more words, " * 12
                    + ("a zero\u200bwidth space, " if i % 5 == 0 else "") + (extra if i == 900 else "") + "done.")
        entries.append(f"{title}\n\n{abstract}\n\n  \u2022 3 authors\n\u00b7\nNov 20, 2025 {i % 50}\n")
    text = "Daily Papers\n\nNov 21\n\n" + "\n".join(entries)
    data = text.encode("utf-8")
    assert len(data) > dump._CHUNK
    ref = date(2025, 11, 21)
    chunked = dump.parse_dump(data, source="d.txt", ref_date=ref)
    whole = dump.parse_dump(text, source="d.txt", ref_date=ref)
    assert [i.to_dict() for i in chunked.items] == [i.to_dict() for i in whole.items]
    assert len(chunked.items) == 2000
    assert "\u202e" not in chunked.items[0].title and "\u200b" not in chunked.items[0].abstract
    assert "tail" in chunked.items[0].title and "zero width" in chunked.items[0].abstract
    assert ("\x07" not in chunked.items[900].abstract) and chunked.warnings == whole.warnings
