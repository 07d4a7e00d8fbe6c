"""Item identity: normalised titles, ids, arXiv ids."""

from __future__ import annotations

import pytest

from digest import identity
from digest.item import Item


@pytest.mark.parametrize(
    "a, b",
    [
        ("Pre-Training Transformers", "pretraining transformers"),
        ("Attention Is All You Need", "Attention  is all\n  you need"),
        ("What's New?", "whats new"),
        ("$\\alpha$-VAE: Learning", "α-VAE Learning"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("Café Models", "Cafe models"),
    ],
)
def test_same_paper_same_id(a, b):
    assert identity.normalize_title(a) == identity.normalize_title(b)
    assert identity.item_id(a) == identity.item_id(b)
    assert Item(title=a).id == Item(title=b).id


def test_different_papers_different_ids():
    assert identity.item_id("Pointer Networks") != identity.item_id("Pointer Network")


def test_id_shape_and_short_id():
    i = identity.item_id("Pointer Networks")
    assert len(i) == identity.ID_LEN and int(i, 16) >= 0
    assert identity.short_id(i) == i[:8]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("http://arxiv.org/abs/2401.01234v2", ("2401.01234", 2)),
        ("https://arxiv.org/pdf/2401.01234", ("2401.01234", None)),
        ("oai:arXiv.org:2508.13180v1", ("2508.13180", 1)),
        ("http://arxiv.org/abs/astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("arXiv:math.GT/0309136", ("math.GT/0309136", None)),
        # old-style ids in another case are the same paper: the archive lower, its subject class upper
        ("ASTRO-PH/0601001V1", ("astro-ph/0601001", 1)),
        ("arXiv:MATH.gt/0309136", ("math.GT/0309136", None)),
        ("2312.0001", ("2312.0001", None)),
        ("no id here", None),
        (None, None),
    ],
)
def test_parse_arxiv_id(text, expected):
    assert identity.parse_arxiv_id(text) == expected


def test_clean_title_folds_whitespace_and_controls():
    assert identity.clean_title("  A\n  wrapped\r\ntitle\x1b[2J ") == "A wrapped title [2J"


def test_item_counts_authors():
    assert Item(title="x", authors=["a", "b"]).n_authors == 2


@pytest.mark.parametrize("text, expected", [
    ("2508.14002", "2508.14002"),
    ("2508.14002v2", "2508.14002"),
    ("arXiv:2508.14002", "2508.14002"),
    ("ARXIV:2508.14002v3", "2508.14002"),
    ("  2508.14002  ", "2508.14002"),
    ("https://arxiv.org/abs/2508.14002v2", "2508.14002"),
    ("http://export.arxiv.org/abs/2508.14002", "2508.14002"),
    ("https://arxiv.org/pdf/2508.14002v1.pdf", "2508.14002"),
    ("https://arxiv.org/html/2508.14002v1/", "2508.14002"),
    ("https://arxiv.org/abs/2508.14002?context=cs.LG", "2508.14002"),
    ("https://huggingface.co/papers/2508.14002", "2508.14002"),
    ("hep-th/9901001", "hep-th/9901001"),
    ("arXiv:math.GT/0309136v2", "math.GT/0309136"),
    ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
    ("ASTRO-PH/0601001", "astro-ph/0601001"),  # typed in capitals: digest tag ASTRO-PH/0601001 y
    ("Math.Gt/0309136v2", "math.GT/0309136"),
    ("2508", None),  # a hex id prefix, not an arXiv id
    ("596749aa", None),
    ("see 2508.14002", None),  # only a reference and nothing else
    ("https://example.org/abs/2508.14002", None),
    ("2508.14002x", None),
    ("", None),
])
def test_arxiv_reference(text, expected):
    from digest.identity import arxiv_reference

    assert arxiv_reference(text) == expected


def test_ids_are_sha256_of_the_normalised_title_whichever_implementation_makes_them():
    import hashlib

    from digest import identity

    sha = identity._load_sha256()
    for text in ("", "Attention Is All You Need", "ünïcödé — 数学", "x" * 10_000):
        assert sha(text.encode()).hexdigest() == hashlib.sha256(text.encode()).hexdigest()
    title = "Scaling Laws for Neural Language Models"
    key = identity.normalize_title(title)
    assert identity.item_id(title) == hashlib.sha256(key.encode("utf-8")).hexdigest()[:identity.ID_LEN]


@pytest.mark.parametrize("title", ["Sparse Pre-Training", "  Hard-wrapped\n  title ", "$\\alpha$-VAE: {Big} Models",
                                   "Ünïcode Tïtle", "!!!", "", "tab\tand\u00a0nbsp"])
def test_item_id_of_a_clean_title_is_item_id(title):
    """Item() cleans its title and then takes the id of the clean one: the same id as item_id."""
    from digest.identity import clean_title, item_id, item_id_of_clean

    assert item_id_of_clean(clean_title(title)) == item_id(title)
    assert Item(title=title).id == item_id(title)


def test_same_abstract_folds_the_text_and_allows_a_cut_one():
    from digest.identity import same_abstract

    full = "We introduce a learned index for sparse retrieval and show it halves the latency of search."
    assert same_abstract(full, "we introduce a  learned-index for sparse retrieval, and show it halves…")
    assert same_abstract(full.replace("index", "$\\alpha$-index"), full.replace("index", "α-index"))
    assert not same_abstract(full, "An introduction to sheaf cohomology for graduate students, with exercises.")
    assert not same_abstract("We study it.", "We study it.")  # too short to tell anything
    assert not same_abstract(full, "") and not same_abstract(None, full)
