"""Interest matching and explainable scores."""

from __future__ import annotations

import pytest

from digest.ranking.match import highlight_regex, normalize
from digest.ranking.score import Scorer
from digest.words import MemoryVocabulary


def score(interests, title="", abstract="", **kw):
    # a stored paper's own words are always in the store's vocabulary
    s = Scorer(interests, weights={"title": 2.0, "abstract": 1.0},
               vocabulary=MemoryVocabulary([title, abstract]), **kw)
    return s.score({"title": title, "abstract": abstract, **kw.pop("rec", {})})


@pytest.mark.parametrize("text", ["Pre-Training at scale", "pretraining at scale", "pre training at scale",
                                  "PRE-TRAINING AT SCALE", "Pre‐training at scale"])
@pytest.mark.parametrize("term", ["pre-training", "pre training"])
def test_hyphen_space_variants_are_one_term(term, text):
    assert score({term: 1.0}, title=text).score == 2.0


def test_joined_term_matches_hyphenated_text():
    assert score({"pretraining": 1.0}, title="Pre-Training at scale").score == 2.0


def test_whole_word_only():
    assert score({"rl": 1.0}, title="Controlling world models").score == 0
    assert score({"diffusion": 1.0}, title="Diffusional processes").score == 0
    assert score({"diffusion": 1.0}, title="(Diffusion) models").score == 2.0


def test_prefix_star():
    assert score({"pretrain*": 1.0}, abstract="models pretrained on text").score == 1.0
    assert score({"pretrain*": 1.0}, abstract="a pretrain step").score == 1.0
    assert score({"pretrain*": 1.0}, abstract="we train them").score == 0


def test_field_weights_and_each_term_counts_once_per_field():
    s = score({"diffusion": 1.5}, title="Diffusion diffusion", abstract="diffusion and diffusion")
    assert s.score == 4.5
    assert [(m.term, m.field, m.weight) for m in s.matches] == [("diffusion", "title", 3.0), ("diffusion", "abstract", 1.5)]


def test_negative_weight_mutes():
    s = score({"diffusion": 1.0, "survey": -5.0}, title="A survey of diffusion")
    assert s.score == -8.0


def test_accents_case_and_tex_folded():
    assert score({"naive bayes": 1}, title="Naïve Bayes revisited").score == 2.0
    assert score({"α-vae": 1}, title="$\\alpha$-VAE for images").score == 2.0


def test_multiword_crosses_punctuation_but_not_words():
    assert score({"language model": 1}, title="Vision-Language Model").score == 2.0
    assert score({"language model": 1}, title="language big model").score == 0


def test_author_and_org_boosts():
    s = Scorer({}, authors={"José García": 2.0}, orgs={"Amazon": 1.0})
    r = s.score({"title": "x", "authors": ["Jose garcia", "Other"], "org": "Amazon"})
    assert r.score == 3.0
    assert {(m.term, m.field) for m in r.matches} == {("José García", "authors"), ("Amazon", "org")}


def test_rank_orders_by_score_then_newest():
    s = Scorer({"diffusion": 1.0})
    recs = [
        {"id": "a", "title": "Nothing here", "published": "2024-01-01"},
        {"id": "b", "title": "Diffusion", "published": "2023-01-01"},
        {"id": "c", "title": "Diffusion too", "published": "2024-06-01"},
    ]
    assert [x.record["id"] for x in s.rank(recs)] == ["c", "b", "a"]
    assert [x.record["id"] for x in s.rank(recs, limit=1)] == ["c"]
    assert [x.record["id"] for x in s.rank(recs, min_score=1)] == ["c", "b"]


def test_highlight_regex_finds_the_matched_words_in_original_text():
    # the renderers highlight the words each term matched (Match.forms), as the text writes them
    text = "Pre-training and pretraining, pre training; Diffusion-based"
    s = score({"pre-training": 1.0, "diffus*": 1.0}, title=text)
    rx = highlight_regex(s.forms())
    assert [m.group(0) for m in rx.finditer(text)] == ["Pre-training", "pretraining", "pre training", "Diffusion"]
    assert highlight_regex([]) is None


def test_normalize_keeps_hyphens_and_turns_punctuation_into_spaces():
    assert normalize("Vision-Language (VLM), too") == b" vision-language  vlm   too "
    assert normalize("Na\u00efve $\\alpha$-VAE") == " naive α-vae ".encode()


def test_punctuation_breaks_a_phrase():
    assert score({"language model": 1}, title="language, model").score == 0
    assert score({"language model": 1}, title="language\nmodel").score == 2.0


def test_many_terms_one_pass():
    s = Scorer({f"term{i}": 1.0 for i in range(1000)} | {"needle": 5.0})
    assert s.score({"title": "a needle and term7, term999"}).score == 14.0


def test_two_terms_sharing_spellings_count_once():
    # issue 16: "pre-training" and "pre training" are one spelling; one occurrence counts once
    # (it used to count for both, +6 where +2 or +4 was meant); the first term listed keeps it
    s = Scorer({"pre-training": 1.0, "pre training": 2.0}, weights={"title": 2.0})
    r = s.score({"title": "Pre-training at scale"})
    assert r.score == 2.0 and {m.term for m in r.matches} == {"pre-training"}
    assert s.fast_score({"title": "Pre-training at scale"}) == 2.0
