"""Merging what two sources say about one paper."""

from __future__ import annotations

from digest.ingest.merge import content_changed, merge


def test_richest_value_of_each_field():
    old = {"title": "T", "abstract": "Short abstract cut", "truncated": True, "authors": [], "n_authors": 3,
           "upvotes": 2, "links": ["https://github.com/x/y"], "categories": [], "org": None,
           "published": "2024-03-01", "url": None, "arxiv_id": None, "arxiv_version": None}
    new = {"title": "T", "abstract": "Short abstract cut, but now complete.", "truncated": False,
           "authors": ["A", "B", "C"], "n_authors": 3, "upvotes": 7, "links": ["https://arxiv.org/abs/2401.00001"],
           "categories": ["cs.LG"], "org": "Lab", "published": "2024-02-28", "url": "https://arxiv.org/abs/2401.00001",
           "arxiv_id": "2401.00001", "arxiv_version": 1}
    m = merge(old, new)
    assert m["abstract"].endswith("complete.") and m["truncated"] is False
    assert m["authors"] == ["A", "B", "C"]
    assert m["upvotes"] == 7
    assert m["links"] == ["https://github.com/x/y", "https://arxiv.org/abs/2401.00001"]
    assert m["url"] == "https://arxiv.org/abs/2401.00001"
    assert m["arxiv_id"] == "2401.00001" and m["org"] == "Lab"
    assert m["published"] == "2024-03-01"  # the first date stays
    assert set(content_changed(old, m)) >= {"abstract", "authors", "upvotes", "arxiv_id"}


def test_newer_version_replaces_title_and_abstract():
    old = {"title": "Old", "abstract": "old abs", "arxiv_id": "1", "arxiv_version": 1}
    new = {"title": "New", "abstract": "new abs", "arxiv_id": "1", "arxiv_version": 2}
    m = merge(old, new)
    assert (m["title"], m["abstract"], m["arxiv_version"]) == ("New", "new abs", 2)


def test_poorer_source_takes_nothing_away():
    old = {"title": "T", "abstract": "A full abstract.", "authors": ["A", "B"], "n_authors": 2, "upvotes": 5,
           "arxiv_id": "2401.1", "url": "https://arxiv.org/abs/2401.1", "links": [], "categories": ["cs.AI"]}
    new = {"title": "T", "abstract": "", "authors": [], "upvotes": None, "arxiv_id": None, "url": None,
           "links": [], "categories": []}
    m = merge(old, new)
    assert content_changed(old, m) == []


V2 = {"title": "Sparse Routers, Revisited", "abstract": "The second version's abstract.", "truncated": False,
      "arxiv_id": "2401.12345", "arxiv_version": 2, "authors": ["A", "B"], "n_authors": 2, "links": [],
      "categories": ["cs.LG"], "url": "https://arxiv.org/abs/2401.12345"}


def test_an_older_version_arriving_late_takes_nothing_from_the_newer_text():
    # an old saved feed ingested after a newer one: v1's longer abstract and old title stay out
    v1 = dict(V2, title="Sparse Routers", arxiv_version=1,
              abstract="The first version's abstract, which was much longer before the authors cut it down.")
    m = merge(V2, v1)
    assert (m["title"], m["abstract"], m["arxiv_version"]) == (V2["title"], V2["abstract"], 2)
    assert content_changed(V2, m) == []
    assert merge(dict(V2, abstract=""), v1)["abstract"] == v1["abstract"]  # it may still fill an empty one


def test_a_source_without_a_version_does_not_replace_a_known_versions_abstract():
    # the HF JSON (no version) with the v1 abstract, after the arXiv feed's v2
    hf = {"title": "Sparse Routers, Revisited", "arxiv_id": "2401.12345", "arxiv_version": None, "truncated": False,
          "abstract": "The first version's abstract, which was much longer before the authors cut it down.",
          "upvotes": 12}
    m = merge(V2, hf)
    assert m["abstract"] == V2["abstract"] and m["upvotes"] == 12
    cut = dict(V2, abstract="The second version's abs", truncated=True)  # a cut one is still completed
    assert merge(cut, dict(hf, abstract="The second version's abstract, complete."))["truncated"] is False
