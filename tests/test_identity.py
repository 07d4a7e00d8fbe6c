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
