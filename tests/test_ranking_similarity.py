"""The similarity boost: papers resembling tagged ones rise, explainably."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest import readinglist as rl
from digest.app import check_sections
from digest.config import Config, parse_config
from digest.errors import ConfigError
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking.score import Scorer
from digest.ranking.similarity import Profile, similarity_boost, stem, term_counts, tokens
from digest.store import Store

ROBOT_TAGGED = [
    Item(title="Dexterous Robot Grasping with Tactile Feedback",
         abstract="A robot hand learns dexterous grasping of unknown objects from tactile sensors and "
                  "visual feedback, with a grasp planner trained in simulation."),
    Item(title="Tactile Sensing for In-Hand Manipulation",
         abstract="Tactile sensors on robot fingertips enable in-hand manipulation and regrasping "
                  "of deformable objects."),
    Item(title="Sim-to-Real Transfer for Robot Grippers",
         abstract="Grasp policies trained in simulation transfer to real grippers with domain randomisation "
                  "of friction and object shape."),
]
FILLER = [
    Item(title=f"Filler paper {i} on {topic}", abstract=f"This paper studies {topic} with standard methods.")
    for i, topic in enumerate(["protein folding", "stock prices", "weather radar", "music genres",
                               "traffic flow", "legal documents", "crop yields", "chess openings"])
]
RELATED = Item(title="Learning Tactile Grasping of Deformable Objects",
               abstract="We learn grasping of deformable objects with tactile fingertip sensors on a robot hand.")
UNRELATED = Item(title="Bayesian Models of Wine Tasting",
                 abstract="Sommeliers disagree; a hierarchical Bayesian model explains their ratings of wines.")
KEYWORDED = Item(title="Diffusion Models for Images", abstract="Image diffusion models generate pictures.")

CONFIG = """
[interests]
"diffusion" = 2.0
[similarity]
tags = ["toread", "cite"]
weight = 8.0
min_similarity = 0.15
"""


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store", lock_timeout=2)
    with s:
        res = ingest_items(s, ROBOT_TAGGED + FILLER, source="old.txt")
    tagged = [r["id"] for r in res.new if r["title"] in {i.title for i in ROBOT_TAGGED}]
    rl.tag(s, tagged[:2], ["toread"])
    rl.tag(s, tagged[2:], ["cite"])
    with s:
        ingest_items(s, [RELATED, UNRELATED, KEYWORDED], source="today.txt")
    return s


def _tags(store) -> dict:
    return rl.ReadingList.load(store).tag_map()


def cfg(text: str = CONFIG) -> Config:
    return check_sections(parse_config(text, Path("config.toml")))


def today(store) -> dict[str, dict]:
    return {r["title"]: r for r in store.records_of_run(store.latest_run())}


def test_tokens_fold_stem_and_drop_stopwords():
    assert tokens("The Robots' Policies: pre-training $\\alpha$-VAEs with GPT4") == \
        ["robot", "policy", "pre", "training", "vae", "gpt4"]  # Greek letters are not words here
    assert stem("classes") == "class" and stem("analysis") == "analysis" and stem("gas") == "gas"
    assert term_counts({"title": "Robot", "abstract": "robot robots"}) == {"robot": 4}  # title counts twice


def test_boost_lifts_a_related_paper_that_matches_no_keyword(store):
    c = cfg()
    plain = Scorer.from_config(c)
    boosted = Scorer.from_config(c, extra=[similarity_boost(store, c, _tags(store))])
    papers = today(store)
    related = papers[RELATED.title]
    assert plain.score(related).score == 0  # shares no configured keyword
    s = boosted.score(related)
    (m,) = s.matches
    assert m.field == "similarity" and m.term == "similar to 'toread'"
    assert m.detail in {i.title for i in ROBOT_TAGGED[:2]}
    assert 8.0 * 0.15 <= m.weight <= 8.0 and s.score == m.weight
    # the unrelated paper gets nothing; the keyword paper keeps just its keywords
    assert boosted.score(papers[UNRELATED.title]).matches == []
    assert [x.field for x in boosted.score(papers[KEYWORDED.title]).matches] == ["title", "abstract"]
    ranked = boosted.rank(papers.values())
    assert ranked[0].record["title"] == KEYWORDED.title and ranked[1].record["title"] == RELATED.title
    assert ranked[-1].score == 0


def test_label_is_the_configured_tag_of_the_nearest_paper(store):
    c = cfg()
    boost = similarity_boost(store, c, _tags(store))
    near_cite = {"id": "0" * 16, "title": "Sim-to-Real Grippers",
                 "abstract": "Grasp policies trained in simulation transfer to real grippers with domain "
                             "randomisation of friction."}
    (m,) = boost(near_cite)
    assert m.term == "similar to 'cite'" and m.detail == ROBOT_TAGGED[2].title


def test_a_tagged_paper_is_not_compared_with_itself(store):
    c = cfg()
    boost = similarity_boost(store, c, _tags(store))
    first = next(r for r in store.iter_records() if r["title"] == ROBOT_TAGGED[0].title)
    matches = boost(first)
    assert all(m.detail != first["title"] for m in matches)
    assert all(m.weight < 8.0 for m in matches)


def test_off_without_tags_or_without_tagged_papers(store, tmp_path):
    assert similarity_boost(store, cfg("[interests]\nx = 1\n"), _tags(store)) is None
    assert similarity_boost(store, cfg('[similarity]\ntags = ["nothing-tagged"]\n'), _tags(store)) is None
    assert similarity_boost(Store(tmp_path / "empty"), cfg(), _tags(Store(tmp_path / "empty"))) is None
    assert similarity_boost(store, cfg('[similarity]\ntags = ["toread"]\nweight = 0\n'), _tags(store)) is None


def test_min_similarity_and_neighbours(store):
    papers = today(store)
    strict = similarity_boost(store, cfg('[similarity]\ntags = ["toread", "cite"]\nmin_similarity = 0.99\n'), _tags(store))
    assert strict(papers[RELATED.title]) == []
    one = similarity_boost(store, cfg('[similarity]\ntags = ["toread", "cite"]\nmin_similarity = 0\n'), _tags(store))
    three = similarity_boost(store, cfg('[similarity]\ntags = ["toread", "cite"]\nmin_similarity = 0\n'
                                        "max_neighbours = 3\n"), _tags(store))
    w1 = one(papers[RELATED.title])[0].weight
    w3 = three(papers[RELATED.title])[0].weight
    assert 0 < w3 < w1  # the mean of the three nearest is below the nearest


def test_profile_two_phase_search_matches_brute_force():
    import random

    rnd = random.Random(3)
    vocab = [f"w{i}x" for i in range(400)]
    zipf = [1 / (i + 1) for i in range(len(vocab))]
    docs = [{"id": f"{i:016x}", "title": " ".join(rnd.choices(vocab, zipf, k=6)),
             "abstract": " ".join(rnd.choices(vocab, zipf, k=80))} for i in range(300)]
    exact = Profile(docs, rare_df=10**9)  # every term through the index: exact cosine
    fast = Profile(docs, rare_df=20, candidates=32)
    for q in docs[:40]:
        probe = dict(q, id="f" * 16)
        (es, ed), = exact.neighbours(probe, 1)
        (fs, fd), = fast.neighbours(probe, 1)
        assert ed == fd == docs.index(q) and es == pytest.approx(1.0) and fs == pytest.approx(1.0)
    q = {"id": "e" * 16, "title": docs[0]["title"], "abstract": docs[1]["abstract"]}
    assert exact.neighbours(q, 2)[0][0] == pytest.approx(fast.neighbours(q, 2)[0][0], abs=0.05)


def test_config_validation():
    assert cfg('[similarity]\ntags = ["ToRead", "#cite"]\n').similarity["tags"] == ["toread", "cite"]
    for bad, where in [('tags = ["two words"]', "similarity.tags[0]"), ("tags = [1]", "similarity.tags[0]"),
                       ('tags = "toread"', "similarity.tags"), ("min_similarity = 1.5", "similarity.min_similarity"),
                       ("max_neighbours = 0", "similarity.max_neighbours"), ("weight = \"high\"", "similarity.weight"),
                       ("colour = 1", "similarity.colour")]:
        with pytest.raises(ConfigError, match=re.escape(f"config.toml: {where}:")):
            cfg(f"[similarity]\n{bad}\n")
