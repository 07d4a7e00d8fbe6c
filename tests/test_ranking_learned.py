"""The term weights learned from votes: the model, its stability with few votes, the scorer's one
pass, the cache in the store and what explain says."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.config import ConfigError, parse_config
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking import learned
from digest.ranking.feedback import Feedback
from digest.ranking.learned import CAP, FEATURES, Model, cached_model
from digest.ranking.rank import scorer_for
from digest.ranking.score import LEARNED, Scorer
from digest.store import Store

SURFACES: dict[str, str] = {}


def feats(*texts: str) -> dict[str, list[str]]:
    """Each text's features (stem keys), remembering the form written for each key."""
    out = {}
    for i, t in enumerate(texts):
        keys = FEATURES.keys(t)
        SURFACES.update({k: w for k, w in keys.items() if k not in SURFACES})
        out[f"p{i}"] = sorted(keys)
    return out


def train(features, votes, background, n, **kw):
    return learned.train(features, votes, background, n, surfaces=SURFACES, **kw)


# background document frequencies, by stem key
BACKGROUND = Counter({"model": 300, "data": 400, "result": 200, "learn": 500, "train": 250})


def test_features_are_the_matchers_stem_keys_hyphenated_words_whole_and_in_parts():
    keys = FEATURES.keys("Sparse Pre-Training of 7B Vision-Language Models, policies and a policy, in 2024!")
    forms = set(keys.values())
    assert {"sparse", "pretraining", "pre", "training", "visionlanguage", "vision", "language", "models"} <= forms
    assert keys["polici"] == "policy"  # one key for policy and policies, written in its shortest form
    assert not forms & {"of", "in", "2024", "7b"}  # function words, numbers, words starting with a digit


def test_no_votes_and_one_vote_teach_nothing():
    f = feats("sparse pruning of transformers sparse")
    assert train(f, {}, BACKGROUND, 1000).terms == []
    one = train(f, {"p0": 1}, BACKGROUND, 1000)
    assert one.terms == [] and one.votes == 1  # a word needs two voted papers


def test_few_votes_learn_the_shared_rare_word_not_the_common_ones():
    texts = ["sparse pruning for model compression", "sparse attention model", "sparse mixture models data",
             "sparse training data results", "a study of model data"]
    f = feats(*texts)
    m = train(f, {k: 1 for k in f}, BACKGROUND, 1000)
    words = {t.term: t for t in m.terms}
    assert "sparse" in words and words["sparse"].pos == 4
    assert "model" not in words and "data" not in words  # common in the background: no evidence
    assert 0 < words["sparse"].weight <= CAP * 5 / (5 + learned.CONFIDENCE) + 1e-9  # 5 votes: a third of the cap


def test_a_word_in_two_of_five_kept_papers_needs_to_be_rare():
    f = feats("alpha beta gamma", "alpha delta", "epsilon zeta", "eta theta", "iota kappa")
    bg = Counter({"alpha": 40})  # 4% of papers have it: 2 of 5 is not unlikely enough (alpha is its own key)
    assert "alpha" not in {t.term for t in train(f, {k: 1 for k in f}, bg, 1000).terms}
    assert "alpha" in {t.term for t in train(f, {k: 1 for k in f}, Counter(), 1000).terms}  # unseen: rare


def test_votes_against_give_negative_weights():
    pos = [f"robot grasping policy {w}" for w in ("alpha", "beta", "gamma", "delta")]
    neg = [f"survey of robot methods {w}" for w in ("epsilon", "zeta", "eta", "theta")]
    f = feats(*pos, *neg)
    votes = {f"p{i}": (1 if i < 4 else -1) for i in range(8)}
    words = {t.term: t.weight for t in train(f, votes, BACKGROUND, 1000).terms}
    assert words["grasping"] > 0 and words["survey"] < 0
    assert "robot" not in words  # in every voted paper: says nothing either way


def test_one_vote_more_moves_a_weight_by_a_bounded_amount():
    base = [f"sparse pruning topic{i}" for i in range(10)]
    f = feats(*base, "sparse pruning outlier")
    votes = {f"p{i}": 1 for i in range(10)}
    before = {t.term: t.weight for t in train(f, votes, BACKGROUND, 1000).terms}
    after = {t.term: t.weight for t in train(f, votes | {"p10": -1}, BACKGROUND, 1000).terms}
    assert all(abs(after.get(w, 0) - v) <= 0.3 for w, v in before.items())
    assert all(abs(w) <= CAP for w in after.values())


def test_max_terms_keeps_the_strongest_evidence():
    f = feats(*[" ".join(f"w{j}x" for j in range(30)) + f" only{i}" for i in range(6)])
    m = train(f, {k: 1 for k in f}, Counter(), 1000, max_terms=5)
    assert len(m.terms) == 5
    assert train(f, {k: 1 for k in f}, Counter(), 1000, max_terms=0).terms == []


# --------------------------------------------------------------------------- the scorer
def scorer_with(terms: list[tuple[str, float]], votes: int = 12) -> Scorer:
    model = Model([learned.LearnedTerm(t, w, 3, 0) for t, w in terms], votes, votes, 0)
    return Scorer({"diffusion": 2.0}, learned=model)


def test_learned_terms_add_one_contribution_that_names_its_words():
    s = scorer_with([("sparse", 0.8), ("pruning", 0.6), ("survey", -0.4)])
    rec = {"id": "x", "title": "Sparse diffusion", "abstract": "We study pruning and sparse models."}
    scored = s.score(rec)
    learned_m = [m for m in scored.matches if m.term == "learned"]
    assert len(learned_m) == 1 and learned_m[0].field == "votes"
    assert learned_m[0].weight == pytest.approx(0.8 * 2 + 0.8 + 0.6)  # title x2, abstract x1
    assert learned_m[0].detail == "sparse +2.4, pruning +0.6 from 12 votes"
    assert scored.score == pytest.approx(4.0 + 3.0)
    assert s.fast_score(rec) == scored.score  # one pass, the same number
    assert [m.term for m in scored.matches if m.field in ("title", "abstract")] == ["diffusion"]


def test_a_learned_word_a_configured_term_matches_whole_is_left_to_the_config():
    """``llm`` learned beside a configured ``llm*`` would count every llm twice (and tune would
    suggest adding it); a word a configured term matches only in part still counts."""
    model = Model([learned.LearnedTerm(t, 0.8, 3, 0) for t in ("llm", "llms-based", "supervised", "sparse")],
                  12, 12, 0)
    s = Scorer({"llm*": 1.5, "self-supervised": 1.0, "sparse model": 1.0}, learned=model)
    kept = [sp.text for sp, o in zip(s.specs, s.origins, strict=True) if o == LEARNED]
    # llm: under llm*; llms-based: llm* matches only its first part; supervised: the configured
    # term is longer; sparse: the configured phrase has more words
    assert kept == ["llms-based", "supervised", "sparse"]
    rec = {"id": "z", "title": "", "abstract": "An llm for sparse self-supervised learning."}
    terms = {m.term: m.weight for m in s.score(rec).matches}
    assert terms["llm*"] == 1.5 and "llm" not in terms
    assert s.score(rec).matches[-1].detail == "sparse +0.8 from 12 votes"


def test_learned_detail_shortens_a_long_list():
    s = scorer_with([(f"w{i}x", 0.1 * (i + 1)) for i in range(9)], votes=1)
    text = " ".join(f"w{i}x" for i in range(9))
    detail = [m for m in s.score({"id": "y", "title": "", "abstract": text}).matches][0].detail
    assert detail.startswith("w8x +0.9, w7x +0.8") and detail.endswith("… 3 more from 1 vote")


# --------------------------------------------------------------------------- the cache and the config
@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path / "store")
    papers = [Item(title=f"Sparse pruning of networks, part {i}" if i < 6 else f"A survey of benchmarks, part {i}",
                   abstract="We prune sparse networks." if i < 6 else "A survey of benchmarks.")
              for i in range(12)]
    with st:
        ingest_items(st, papers, source="t")
    return st


def votes_for(store: Store) -> dict[str, int]:
    return {r["id"]: (1 if r["title"].startswith("Sparse") else -1) for r in store.iter_records()}


def append_event(store: Store, ev: dict) -> None:
    with store:
        store.append_events([ev])


def test_cache_is_read_until_the_events_change(store, monkeypatch):
    votes = votes_for(store)
    append_event(store, {"type": "triage", "id": "0" * 16, "decision": "keep"})
    first = cached_model(store, votes, max_terms=40, scale=1.0)
    assert first.terms and (store.root / "learned.json").exists()
    calls = []
    monkeypatch.setattr(learned, "rebuild", lambda *a, **k: calls.append(1) or Model())
    assert cached_model(store, votes, max_terms=40, scale=1.0).terms == first.terms
    assert calls == []  # read from learned.json
    append_event(store, {"type": "triage", "id": "1" * 16, "decision": "reject"})
    cached_model(store, votes, max_terms=40, scale=1.0)
    assert calls == [1]  # a new event: rebuilt
    cached_model(store, votes, max_terms=10, scale=1.0)
    assert calls == [1, 1]  # other settings: rebuilt


def test_rebuild_reads_only_newly_voted_papers(store, monkeypatch):
    votes = votes_for(store)
    some = dict(list(votes.items())[:8])
    learned.rebuild(store, some, max_terms=40, scale=1.0)
    asked: list[str] = []
    real = store.get_many

    def spy(ids):
        ids = list(ids)
        asked.extend(ids)
        return real(ids)

    monkeypatch.setattr(store, "get_many", spy)
    learned.rebuild(store, votes, max_terms=40, scale=1.0)
    assert sorted(asked) == sorted(set(votes) - set(some))


def test_a_damaged_cache_is_rebuilt_quietly(store):
    votes = votes_for(store)
    (store.root / "learned.json").write_text("{not json")
    (store.root / "learned-state.json").write_text('{"format": 1, "features": 5}')
    assert cached_model(store, votes, max_terms=40, scale=1.0).votes == 12
    assert json.loads((store.root / "learned.json").read_text())["model"]["votes"] == 12


def test_scorer_for_uses_learning_unless_switched_off(store, tmp_path):
    votes = votes_for(store)
    fb = Feedback(votes=votes)
    rec = {"id": "z", "title": "Sparse pruning", "abstract": "prune sparse"}
    on = scorer_for(parse_config("[interests]\nx = 1\n", tmp_path / "c.toml"), store, {}, fb).score(rec)
    assert any(m.term == "learned" for m in on.matches)
    off_cfg = parse_config("[interests]\nx = 1\n[learning]\nenabled = false\n", tmp_path / "c.toml")
    assert not any(m.term == "learned" for m in scorer_for(off_cfg, store, {}, fb).score(rec).matches)
    zero = parse_config("[learning]\nweight = 0\n", tmp_path / "c.toml")
    assert not any(m.term == "learned" for m in scorer_for(zero, store, {}, fb).score(rec).matches)


@pytest.mark.parametrize("body, message", [
    ("enabled = 1", "learning.enabled: must be true or false"),
    ("tags = ['no spaces']", "learning.tags[0]: invalid tag"),
    ("weight = -1", "learning.weight: must be 0 or more"),
    ("max_terms = 9999", "learning.max_terms: must be between 0 and 500"),
    ("mute_weight = 2", "learning.mute_weight: must be 0 or negative"),
    ("colour = 'red'", "learning.colour: unknown key"),
])
def test_learning_config_errors(tmp_path, body, message):
    from digest.app import load_config

    path = tmp_path / "config.toml"
    path.write_text(f"[learning]\n{body}\n")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path, explicit=True)


def test_explain_shows_what_the_votes_taught(store, tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[interests]\n"networks" = 1.0\n')
    monkeypatch.setenv("DIGEST_CONFIG", str(cfg))
    monkeypatch.setenv("DIGEST_HOME", str(store.root))
    with store:
        store.append_events([{"type": "triage", "id": i, "decision": "keep" if v > 0 else "reject"}
                             for i, v in votes_for(store).items()])
    some = next(r["id"] for r in store.iter_records() if r["title"].startswith("Sparse"))
    out = CliRunner().invoke(cli, ["explain", some[:8]]).stdout
    assert "learned  in votes" in out and "from 12 votes" in out and "sparse +" in out
    data = json.loads(CliRunner().invoke(cli, ["explain", some[:8], "--format", "json"]).stdout)
    assert any(m["term"] == "learned" and m["field"] == "votes" for m in data["matches"])
