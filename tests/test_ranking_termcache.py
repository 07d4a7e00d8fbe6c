"""The scorer's expanded terms cached in the index (digest.ranking.termcache): the same scorer
as one built afresh, taken only while the vocabulary answers as it did."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import parse_config
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking import match, termcache
from digest.ranking.rank import scorer_for
from digest.ranking.score import Scorer
from digest.store import Store

CONFIG = """[interests]
"pretraining" = 2.0
"vision-language model | VLM" = 3.0
"diffusion*" = 1.0
"LLM" = 1.5
"graph neural network" = 2.0
"survey" = -1.0
"""


def cfg(text: str = CONFIG):
    return parse_config(text, Path("c.toml"))


def papers(n: int, start: int = 0) -> list[Item]:
    return [Item(title=f"Paper {i} on graph neural networks and diffusion models",
                 abstract="We pre-train a vision-language model (VLM) with large language models. A survey.")
            for i in range(start, start + n)]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s")
    with s:
        ingest_items(s, papers(30), source="x")
    return s


def expansions(monkeypatch) -> list[int]:
    """Counts the calls of expand_terms from now on."""
    calls = [0]
    real = match.expand_terms

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr("digest.ranking.score.expand_terms", counted)
    return calls


def same_scorer(a: Scorer, b: Scorer) -> None:
    assert [(s.text, s.weight, s.prefix, s.patterns) for s in a.specs] == \
           [(s.text, s.weight, s.prefix, s.patterns) for s in b.specs]
    assert [[(p.words, p.joints, p.via) for p in s.phrases] for s in a.specs] == \
           [[(p.words, p.joints, p.via) for p in s.phrases] for s in b.specs]
    assert (a.origins, a.n_config) == (b.origins, b.n_config)
    assert a.matcher.conflicts == b.matcher.conflicts and a.matcher.patterns == b.matcher.patterns


def test_the_second_scorer_comes_from_the_cache_and_is_the_same(store, monkeypatch):
    calls = expansions(monkeypatch)
    with store:
        first = scorer_for(cfg(), store)
    assert calls[0] == 1 and isinstance(store.cache_get(termcache.CACHE_NAME), bytes)
    fresh = Store(store.root)  # another command: the cache is read back from the index
    with fresh:
        again = scorer_for(cfg(), fresh)
        recs = list(fresh.iter_records())
    assert calls[0] == 1  # not expanded again
    same_scorer(first, again)
    assert [first.score(r) for r in recs] == [again.score(r) for r in recs]


def test_a_new_form_of_an_interest_word_expands_the_terms_again(store, monkeypatch):
    with store:
        before = scorer_for(cfg(), store)
    calls = expansions(monkeypatch)
    with store:  # new words, none of them a form of an interest's word: still a hit
        ingest_items(store, [Item(title="Quantum chromodynamics on lattices", abstract="Gluons.")], source="y")
    with Store(store.root) as s:
        scorer_for(cfg(), s)
    assert calls[0] == 0
    with store:  # "pretrainings": a form of "pretraining" the store had not seen
        ingest_items(store, [Item(title="Three pretrainings compared", abstract="")], source="y")
    with Store(store.root) as s:
        after = scorer_for(cfg(), s)
        assert calls[0] >= 1
        fresh = Scorer.from_config(cfg(), vocabulary=s.vocabulary())  # (no cache)
    spec = after.specs[0]
    assert any(b"pretrainings" in p for p in spec.patterns) and not any(b"pretrainings" in p for p in before.specs[0].patterns)
    same_scorer(after, fresh)


@pytest.mark.parametrize("change", [
    CONFIG.replace('"survey" = -1.0', '"survey" = -2.0'),  # a weight
    CONFIG + '\n[matching]\nstemming = false\n',  # a rule
    CONFIG + '\n[abbreviations]\nGNN = "graph neural network"\n',  # the table
])
def test_another_config_is_a_miss(store, monkeypatch, change):
    with store:
        scorer_for(cfg(), store)
    calls = expansions(monkeypatch)
    with Store(store.root) as s:
        got = scorer_for(cfg(change), s)
        fresh = Scorer.from_config(cfg(change), vocabulary=s.vocabulary())
    assert calls[0] >= 1
    same_scorer(got, fresh)


@pytest.mark.parametrize("value", [b"", b"\x00garbage", termcache.key_of("other")])
def test_a_damaged_entry_is_a_miss(store, value):
    with store:
        store.cache_put(termcache.CACHE_NAME, value)
    with Store(store.root) as s:
        got = scorer_for(cfg(), s)
        fresh = Scorer.from_config(cfg(), vocabulary=s.vocabulary())
    same_scorer(got, fresh)


def test_a_variant_scorer_leaves_the_configs_entry_alone(store, monkeypatch):
    with store:
        scorer_for(cfg(), store)
        kept = store.cache_get(termcache.CACHE_NAME)
        variant = scorer_for(cfg(CONFIG.replace('"survey" = -1.0', '"survey" = -3.0')), store, cache_terms=False)
    assert variant.specs[-1].weight == -3.0
    calls = expansions(monkeypatch)
    with Store(store.root) as s:
        assert s.cache_get(termcache.CACHE_NAME) == kept
        scorer_for(cfg(), s)
    assert calls[0] == 0
