"""Damping: a wanted term found in most stored papers weighs less; the shares are cached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.config import parse_config
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking import damping
from digest.ranking.rank import scorer_for
from digest.store import Store


def cfg(extra: str = ""):
    return parse_config('[interests]\n"data" = 2.0\n"robot" = 2.0\n"survey" = -1.0\n' + extra, Path("c.toml"))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s")
    papers = [Item(title=f"Paper {i}", abstract=("We collect data. " if i < 60 else "") + "A survey.")
              for i in range(100)] + [Item(title="Robot arms", abstract="Robot data")]
    with s:
        ingest_items(s, papers, source="x")
    return s


def test_factor():
    assert damping.factor(0.1) == 1.0
    assert damping.factor(0.2) == 1.0
    assert damping.factor(0.53) == pytest.approx(0.394, abs=0.001)
    assert damping.factor(1.0) == damping.FLOOR
    assert damping.factor(0.3, p0=0.5) == 1.0


def test_a_common_wanted_term_is_damped_and_explained(store):
    s = scorer_for(cfg(), store)
    r = s.score({"title": "Robot data", "abstract": "A survey."})
    by = {m.term: m for m in r.matches}
    assert by["data"].weight == pytest.approx(4.0 * damping.factor(61 / 101))
    assert by["data"].detail == f"×{damping.factor(61 / 101):.2f}: in 60% of your papers"
    assert by["robot"].weight == 4.0 and by["robot"].detail == ""  # in 1% of the papers
    assert by["survey"].weight == -1.0  # mute terms are never damped (in every paper here)
    assert s.fast_score({"title": "Robot data", "abstract": "A survey."}) == r.score


def test_damping_switched_off(store):
    s = scorer_for(cfg("[matching]\ndamping = false\n"), store)
    assert s.score({"title": "data"}).score == 4.0


def test_shares_are_cached_and_caught_up(store):
    scorer = scorer_for(cfg(), store)
    state = json.loads(store.cache_get(damping.CACHE_NAME))
    assert state["n"] == 101 and state["df"][0] == 61 and state["fp"] == damping.fingerprint(scorer)
    with store:
        ingest_items(store, [Item(title=f"More data {i}", abstract="") for i in range(20)], source="y")
    assert damping.term_counts(store, scorer_for(cfg(), store)) == (121, [81, 1, 100])
    # a different set of terms counts afresh
    other = scorer_for(parse_config('[interests]\n"robot" = 1.0\n', Path("c.toml")), store)
    assert damping.term_counts(store, other) == (121, [1])


def test_a_small_store_is_not_damped(tmp_path):
    s = Store(tmp_path / "small")
    with s:
        ingest_items(s, [Item(title="data", abstract="")], source="x")
    assert scorer_for(cfg(), s).score({"title": "data"}).score == 4.0
