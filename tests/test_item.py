"""The Item (digest/item.py): clean-up at construction, its id and its dict."""

from __future__ import annotations

import dataclasses

from digest.identity import item_id
from digest.item import PARSE_KEYS, Item


def _item() -> Item:
    return Item(title="  Sparse\n Pre-Training ", abstract="We prune.", authors=["A. One", "B. Two"], n_authors=None,
                published="2026-01-02", upvotes=3, org="Lab", links=["https://x.org/a"], source="s.txt",
                arxiv_id="2601.00001", arxiv_version=2, url="https://arxiv.org/abs/2601.00001",
                categories=["cs.LG"], cross_list=False)


def test_construction_cleans_the_title_counts_authors_and_takes_the_id():
    it = _item()
    assert it.title == "Sparse Pre-Training"
    assert it.n_authors == 2
    assert it.id == item_id("Sparse Pre-Training")


def test_to_dict_is_asdict_of_the_parse_keys_with_lists_of_its_own():
    it = _item()
    d = it.to_dict()
    reference = dataclasses.asdict(it)
    assert d == {k: reference[k] for k in PARSE_KEYS} | {"arxiv_version": 2}
    assert list(d) == [*PARSE_KEYS, "arxiv_version"]
    for k in ("authors", "links", "categories"):
        assert d[k] is not getattr(it, k)  # changing the dict never changes the item
    d["authors"].append("C. Three")
    assert it.authors == ["A. One", "B. Two"]
