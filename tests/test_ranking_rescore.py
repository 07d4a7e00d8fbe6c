"""The full rescore: parallel byte ranges give the same ranking as one process,
and older versions of a paper are never ranked."""

from __future__ import annotations

import pytest

from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking import rescore
from digest.ranking.score import Scorer
from digest.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s")
    words = ["diffusion", "robot", "language", "survey", "graph"]
    with s:
        ingest_items(s, [Item(title=f"Paper {i} about {words[i % 5]}", abstract=f"{words[(i * 3) % 5]} text {i}",
                       published=f"2024-01-{1 + i % 28:02d}") for i in range(300)], source="a")
    with s:  # new versions: paper 7 now mentions diffusion twice, paper 8 no longer does
        ingest_items(s, [Item(title="Paper 7 about language", abstract="diffusion text 7, updated with a much longer abstract than before"),
                  Item(title="Paper 8 about survey", abstract="nothing relevant")], source="b")
        ingest_items(s, [Item(title="Paper 7 about language", abstract="diffusion text 7, updated with a much longer abstract than before",
                       upvotes=99)], source="c")
    return s


SCORER = Scorer({"diffusion": 2.0, "robot*": 1.0, "survey": -1.0})


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_equals_single_process(store, monkeypatch, workers):
    monkeypatch.setattr(rescore, "PARALLEL_MIN_BYTES", 0)
    expected = SCORER.rank(list(store.iter_records()), limit=25, min_score=-100)
    got, seen = rescore.rank_all(store, SCORER, limit=25, min_score=-100, workers=workers)
    assert seen == 300
    assert [(s.record["id"], s.score) for s in got] == [(s.record["id"], s.score) for s in expected]


@pytest.mark.parametrize("workers", [1, 2])
def test_sort_by_upvotes_parallel_equals_single_process(store, monkeypatch, workers):
    monkeypatch.setattr(rescore, "PARALLEL_MIN_BYTES", 0)
    with store:
        ingest_items(store, [Item(title=f"Paper {i} about robot", upvotes=i) for i in (10, 20, 30)], source="d")
    expected = SCORER.rank(list(store.iter_records()), limit=6, min_score=0, sort="upvotes")
    got, _ = rescore.rank_all(store, SCORER, limit=6, min_score=0, workers=workers, sort="upvotes")
    assert [s.record["upvotes"] for s in got][:4] == [99, 30, 20, 10]
    assert [s.record["id"] for s in got] == [s.record["id"] for s in expected]
    assert all(s.score >= 0 for s in got)


def test_superseded_versions_are_skipped(store, monkeypatch):
    monkeypatch.setattr(rescore, "PARALLEL_MIN_BYTES", 0)
    got, seen = rescore.rank_all(store, SCORER, limit=None, min_score=None, workers=2)
    titles = [s.record["title"] for s in got]
    assert len(titles) == len(set(titles)) == 300
    p7 = next(s for s in got if s.record["title"] == "Paper 7 about language")
    assert p7.record["upvotes"] == 99
    assert p7.record["abstract"] == "diffusion text 7, updated with a much longer abstract than before"


def test_min_score_and_limit(store):
    got, _ = rescore.rank_all(store, SCORER, limit=5, min_score=4.0)
    assert len(got) == 5 and all(s.score >= 4.0 for s in got)
    assert got[0].score >= got[-1].score


def test_fast_score_equals_explained_score(store):
    for rec in store.iter_records():
        assert SCORER.fast_score(rec) == SCORER.score(rec).score


def test_superseded_survive_an_index_rebuild(store):
    import os

    store.close()
    os.unlink(store.index_path)
    fresh = Store(store.root)
    got, seen = rescore.rank_all(fresh, SCORER, limit=None, min_score=None, workers=1)
    assert seen == 300
