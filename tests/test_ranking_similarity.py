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


def _reference(tagged: list[dict], background: list[dict], *, rare_df: int, candidates: int):
    """The model as the module docstring and Profile describe it, written out plainly (dicts of
    floats, no packed arrays): ``neighbours(probe, k)``, the reference the profile must agree with."""
    import math
    from collections import Counter

    docs = [(r, term_counts(r)) for r in tagged]
    docs = [(r, c) for r, c in docs if c]
    own = {r["id"] for r, _ in docs}
    others = [term_counts(r) for r in background if r["id"] not in own]
    df: Counter = Counter()
    for c in [c for _, c in docs] + others:
        df.update(c.keys())
    n1 = len(docs) + len(others) + 1

    def vector(counts: dict[str, int]) -> dict[str, float]:
        raw = {t: (1 + math.log(c)) * ((math.log(n1 / (1 + df[t])) if t in df else math.log(n1)) + 1)
               for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in raw.values()))
        return {t: w / norm for t, w in raw.items()} if norm else {}

    vecs = [vector(c) for _, c in docs]
    rare = {t for _, c in docs for t in c if df[t] <= rare_df}
    having = {t: [i for i, v in enumerate(vecs) if t in v] for t in rare}  # (in the order of the papers)

    def neighbours(probe: dict, k: int) -> list[tuple[float, int]]:
        q = vector(term_counts(probe))
        partial: dict[int, float] = {}  # the cosine over the rare terms, of each tagged paper sharing one
        for t, qw in q.items():
            for i in having.get(t, ()):
                partial[i] = partial.get(i, 0.0) + qw * vecs[i][t]
        for i, (r, _) in enumerate(docs):
            if r["id"] == probe.get("id"):
                partial.pop(i, None)
        # the candidates: the best by that cosine (a tie for the last place goes to the paper met first)
        chosen = sorted(partial, key=lambda i: -partial[i])[:candidates]
        full = {i: sum(qw * vecs[i].get(t, 0.0) for t, qw in q.items()) for i in chosen}
        return [(min(1.0, full[i]), i) for i in sorted(full, key=lambda i: (-full[i], i))[:k]]

    return neighbours


@pytest.mark.parametrize("rare_df, candidates", [(4, 8), (20, 32), (None, 64), (10**9, 64)])
def test_profile_neighbours_match_a_plain_reference(rare_df, candidates):
    import marshal
    import random

    rnd = random.Random(rare_df or 7)
    vocab = [f"w{i}x" for i in range(600)]
    zipf = [1 / (i + 1) ** 0.8 for i in range(len(vocab))]

    def paper(i: int) -> dict:
        return {"id": f"{i:016x}", "title": " ".join(rnd.choices(vocab, zipf, k=rnd.randint(0, 8))),
                "abstract": " ".join(rnd.choices(vocab, zipf, k=rnd.randint(0, 120)))}

    tagged = [paper(i) for i in range(250)]
    tagged += [dict(tagged[i], id=f"d{i:015x}") for i in (3, 7, 11, 40)]  # the same text twice: ties
    background = [paper(1000 + i) for i in range(150)] + tagged[:20]  # (tagged ones count once)
    probes = [paper(5000 + i) for i in range(60)] + tagged[:30] + tagged[-4:] + [{"id": "x", "title": "", "abstract": ""}]
    prof = Profile(tagged, background=background, rare_df=rare_df, candidates=candidates)
    cached = Profile.from_state(marshal.loads(marshal.dumps(prof.state())))  # as read from the store's cache
    reference = _reference(tagged, background, rare_df=rare_df if rare_df is not None else 50,
                           candidates=candidates)
    for probe in probes:
        want = reference(probe, 3)
        for k in (1, 3):
            got = prof.neighbours(probe, k)
            assert [d for _, d in got] == [d for _, d in want[:k]]
            assert [s for s, _ in got] == pytest.approx([s for s, _ in want[:k]], abs=1e-9, rel=0)
            assert cached.neighbours(probe, k) == got


def test_config_validation():
    assert cfg('[similarity]\ntags = ["ToRead", "#cite"]\n').similarity["tags"] == ["toread", "cite"]
    for bad, where in [('tags = ["two words"]', "similarity.tags[0]"), ("tags = [1]", "similarity.tags[0]"),
                       ('tags = "toread"', "similarity.tags"), ("min_similarity = 1.5", "similarity.min_similarity"),
                       ("max_neighbours = 0", "similarity.max_neighbours"), ("weight = \"high\"", "similarity.weight"),
                       ("colour = 1", "similarity.colour")]:
        with pytest.raises(ConfigError, match=re.escape(f"config.toml: {where}:")):
            cfg(f"[similarity]\n{bad}\n")



def test_max_neighbours_has_an_upper_bound():
    """TOML integers have no size limit: max_neighbours = 10**400 was accepted and every ranking
    with the boost died of an OverflowError (the mean divides by it). Now refused, naming the key."""
    with pytest.raises(ConfigError, match=re.escape("similarity.max_neighbours: must be between 1 and")):
        cfg(f"[similarity]\nmax_neighbours = {'9' * 400}\n")
    assert cfg("[similarity]\nmax_neighbours = 1000\n").similarity["max_neighbours"] == 1000

# --------------------------------------------------------------------------- the cached profile
def _profiles_built(monkeypatch) -> list[int]:
    """Count the profiles built from records (not read back from the store's cache)."""
    from digest.ranking import similarity

    built: list[int] = []
    orig = similarity.Profile.__init__

    def init(self, records, *args, **kwargs):
        records = list(records)
        built.append(len(records))
        orig(self, records, *args, **kwargs)

    monkeypatch.setattr(similarity.Profile, "__init__", init)
    return built


def _boosts(store) -> dict[str, list]:
    boost = similarity_boost(store, cfg(), _tags(store))
    return {t: boost(r) for t, r in today(store).items()}


def test_the_cached_profile_ranks_as_the_one_built(store, monkeypatch):
    from digest.ranking.similarity import CACHE_NAME

    built = _profiles_built(monkeypatch)
    first = _boosts(Store(store.root))
    assert built == [3] and Store(store.root).cache_get(CACHE_NAME)
    again = _boosts(Store(store.root))  # a later command: the profile read from the cache
    assert built == [3]
    assert again == first and first["Learning Tactile Grasping of Deformable Objects"]
    store.index.drop()  # the cache goes with the index: built again, the same
    assert _boosts(Store(store.root)) == first and built == [3, 3]


def test_tagging_and_untagging_invalidate_the_cached_profile(store, monkeypatch):
    built = _profiles_built(monkeypatch)
    related = "Learning Tactile Grasping of Deformable Objects"
    before = _boosts(Store(store.root))
    assert before[related] and not before["Bayesian Models of Wine Tasting"]
    wine = today(store)["Bayesian Models of Wine Tasting"]
    rl.tag(Store(store.root), [wine["id"]], ["toread"])
    with_wine = _boosts(Store(store.root))
    assert built == [3, 4]
    assert not with_wine["Bayesian Models of Wine Tasting"]  # never compared with itself
    rl.untag(Store(store.root), [wine["id"]], ["toread"])
    assert _boosts(Store(store.root)) == before and built == [3, 4, 3]
    tagged = [i for i, tags in _tags(store).items() if "toread" in tags]
    rl.untag(Store(store.root), tagged, ["toread"])  # only the 'cite' paper is left
    after = _boosts(Store(store.root))
    assert built == [3, 4, 3, 1] and after != before


def test_a_tagged_paper_written_again_rebuilds_the_cached_profile(tmp_path, monkeypatch):
    """A tagged paper stored again (a new version) moves past the index row the cached profile
    was built at: the profile is built again, from its new text."""
    s = Store(tmp_path / "s", lock_timeout=2)
    with s:
        res = ingest_items(s, ROBOT_TAGGED[:2] + FILLER, source="old.txt")
    rl.tag(s, [res.new[0]["id"]], ["toread"])
    with s:
        ingest_items(s, [RELATED], source="today.txt")
    built = _profiles_built(monkeypatch)
    _boosts(Store(s.root))
    _boosts(Store(s.root))
    assert built == [1]
    from digest.ranking.similarity import build_profile

    st = Store(s.root)
    with st:  # the tagged paper written again (a later line of the same id), its text changed
        rec = dict(st.get(res.new[0]["id"]), title="Wine Tasting With Hierarchical Bayesian Models")
        st.append_records([rec])
    prof = build_profile(Store(s.root), ["toread"], _tags(s))
    assert built == [1, 1] and prof.titles == ["Wine Tasting With Hierarchical Bayesian Models"]


def test_a_cached_profile_of_another_layout_or_damaged_is_built_again(store, monkeypatch):
    """The cached value carries PROFILE_VERSION: one of the first layout (version 1: a dict of
    per-term posting bytes), one whose state has another shape, or whose packed arrays are cut
    short, is not read back but built again (and cached anew), with the same boosts."""
    import marshal

    from digest.ranking.similarity import CACHE_NAME, PROFILE_VERSION

    built = _profiles_built(monkeypatch)
    first = _boosts(Store(store.root))
    assert built == [3]
    version, top, labels, n_bg, bg, state = marshal.loads(Store(store.root).cache_get(CACHE_NAME))
    assert version == PROFILE_VERSION == 2
    n, n_background, idf_unseen, rare_df, candidates, ids, titles, tag_labels = state[:8]
    layout_1 = (n, n_background, {"robot": 1.5}, idf_unseen, rare_df, candidates, ids, titles, tag_labels,
                ["robot"], [(b"", b"")] * n, {"grasp": (b"\0\0\0\0", bytes(8))})
    cut = state[:-1] + (tuple(a[: len(a) // 2] for a in state[-1]),)
    for value in [(1, top, labels, n_bg, bg, layout_1), (PROFILE_VERSION, top, labels, n_bg, bg, layout_1),
                  (PROFILE_VERSION, top, labels, n_bg, bg, cut)]:
        Store(store.root).cache_put(CACHE_NAME, marshal.dumps(value))
        assert _boosts(Store(store.root)) == first
        assert marshal.loads(Store(store.root).cache_get(CACHE_NAME))[0] == PROFILE_VERSION
    assert built == [3, 3, 3, 3]
    assert _boosts(Store(store.root)) == first and built == [3, 3, 3, 3]  # and read back again
