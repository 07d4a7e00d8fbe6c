"""Semantic ranking (digest.ranking.semantic): the model loader, the vector cache, the contribution.

Real files throughout: model folders are written here with the tokenizers and safetensors
libraries (the reference writers), the default model is the wordllama package's own files,
stores are made by the digest command in subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from digest.config import Checker
from digest.errors import ConfigError
from digest.ranking.semantic import check_semantic, missing_modules, settings
from digest.ranking.semantic.cache import HEADER, KEY, META, VEC, VectorCache, text_key, text_of
from digest.ranking.semantic.model import default_model_dir, load_model, read_safetensors

TOPICS = {
    "rl": "reinforcement policy reward agent agents robot robots control actor critic exploration environment",
    "vision": "image images pixel diffusion generation generative photo video render texture",
    "bio": "protein clinical patient patients medical gene cell disease hospital drug",
}
FILLER = [f"w{i}" for i in range(200)]
VOCAB = ["[UNK]"] + [w for ws in TOPICS.values() for w in ws.split()] + FILLER
DIM = 16


def topic_vectors(seed: int = 0) -> np.ndarray:
    """Words of one topic share a direction; filler words are small noise."""
    rng = np.random.default_rng(seed)
    axes = {t: rng.normal(size=DIM) for t in TOPICS}
    rows = [np.zeros(DIM)]
    for t, ws in TOPICS.items():
        rows += [axes[t] * 3 + rng.normal(size=DIM) * 0.5 for _ in ws.split()]
    rows += [rng.normal(size=DIM) * 0.3 for _ in FILLER]
    return np.asarray(rows, dtype=np.float32)


def word_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok


def write_model2vec(folder: Path, vectors: np.ndarray, *, weights=None, mapping=None, max_length=512) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    word_tokenizer().save(str(folder / "tokenizer.json"))
    tensors = {"embeddings": vectors}
    if weights is not None:
        tensors["weights"] = weights
    if mapping is not None:
        tensors["mapping"] = mapping
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"model_type": "model2vec", "normalize": True,
                                                    "max_length": max_length}))
    return folder


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    return write_model2vec(tmp_path / "tiny-m2v", topic_vectors().astype(np.float16))


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 0)


def by_hand(vectors: np.ndarray, text: str, *, weights=None, mapping=None, max_tokens=None) -> np.ndarray:
    ids = [VOCAB.index(w) for w in text.lower().split() if w in VOCAB and w != "[UNK]"][:max_tokens]
    if not ids:
        return np.zeros(vectors.shape[1], dtype=np.float32)
    rows = vectors[[mapping[i] for i in ids] if mapping is not None else ids].astype(np.float32)
    if weights is not None:
        rows = rows * np.asarray(weights, dtype=np.float32)[ids, None]
    return unit(rows.mean(0))


# --------------------------------------------------------------------------- the loader
def test_model2vec_folder_embeds_as_the_mean_of_its_token_vectors(tiny_model):
    vectors = topic_vectors().astype(np.float16)
    m = load_model(tiny_model)
    texts = ["Robot agents learn a policy from reward", "diffusion image generation", "zzz unknown words", ""]
    got = m.embed(texts)
    assert got.shape == (4, DIM) and got.dtype == np.float32
    for text, row in zip(texts, got, strict=True):
        assert np.allclose(row, by_hand(vectors, text), atol=1e-5)
    assert not got[2].any() and not got[3].any()  # no known token: a zero vector, never a NaN


def test_unknown_tokens_are_dropped_not_averaged_in(tiny_model):
    m = load_model(tiny_model)
    a, b = m.embed(["robot reward", "robot qqq reward xyzzy"])
    assert np.allclose(a, b, atol=1e-6)


def test_quantised_model2vec_folder_with_mapping_and_weights(tmp_path):
    vectors = topic_vectors()
    k = 12
    mapping = (np.arange(len(VOCAB)) % k).astype(np.int64)
    weights = np.linspace(0.5, 1.5, len(VOCAB)).astype(np.float32)
    folder = write_model2vec(tmp_path / "quant", vectors[:k].copy(), weights=weights, mapping=mapping)
    m = load_model(folder)
    text = "protein patient drug robot"
    assert np.allclose(m.embed([text])[0], by_hand(vectors[:k], text, weights=weights, mapping=mapping), atol=1e-5)


def test_max_length_of_the_config_is_honoured(tmp_path):
    folder = write_model2vec(tmp_path / "short", topic_vectors(), max_length=2)
    m = load_model(folder)
    assert np.allclose(m.embed(["robot reward protein patient"])[0], m.embed(["robot reward"])[0], atol=1e-6)


def test_wordllama_layout_folder(tmp_path):
    folder = tmp_path / "wl"
    (folder / "weights").mkdir(parents=True)
    (folder / "tokenizers").mkdir()
    vectors = topic_vectors().astype(np.float16)
    save_file({"embedding.weight": vectors}, str(folder / "weights" / "tiny_16.safetensors"))
    word_tokenizer().save(str(folder / "tokenizers" / "tiny_tokenizer_config.json"))
    m = load_model(folder)
    assert m.dim == DIM and m.name == "tiny_16"
    assert np.allclose(m.embed(["actor critic exploration"])[0], by_hand(vectors, "actor critic exploration"),
                       atol=1e-5)


def test_read_safetensors_matches_the_reference_reader(tmp_path):
    from safetensors.numpy import load_file

    tensors = {"a": np.arange(12, dtype=np.float16).reshape(3, 4), "b": np.ones((2, 2), dtype=np.float32),
               "c": np.arange(5, dtype=np.int64), "d": np.arange(6, dtype=np.int8).reshape(2, 3)}
    save_file(tensors, str(tmp_path / "t.safetensors"), metadata={"k": "v"})
    ours, ref = read_safetensors(tmp_path / "t.safetensors"), load_file(str(tmp_path / "t.safetensors"))
    assert sorted(ours) == sorted(ref)
    for name in ref:
        assert ours[name].dtype == ref[name].dtype and np.array_equal(ours[name], ref[name])


@pytest.mark.parametrize("damage", ["empty", "garbage", "short", "no-tensor", "bad-tokenizer"])
def test_a_broken_model_folder_is_a_one_line_config_error(tmp_path, damage):
    folder = write_model2vec(tmp_path / damage, topic_vectors())
    st = folder / "model.safetensors"
    if damage == "empty":
        for f in folder.iterdir():
            f.unlink()
    elif damage == "garbage":
        st.write_bytes(b"\xff" * 100)
    elif damage == "short":
        st.write_bytes(st.read_bytes()[:-40])
    elif damage == "no-tensor":
        save_file({"something": np.ones((3, 3), dtype=np.float32)}, str(st))
    else:
        (folder / "tokenizer.json").write_text("{not json")
    with pytest.raises(ConfigError) as err:
        load_model(folder)
    assert "\n" not in str(err.value) and str(folder) in str(err.value)


def run_py(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_the_default_model_loads_from_the_package_files_offline_without_importing_wordllama():
    """wordllama's own loader looks for its tokenizer in a folder the wheel does not have and then
    downloads it; ours reads the packaged files by path. Every socket is refused here."""
    out = run_py("""
        import socket, sys
        def refuse(*a, **k):
            raise OSError("no network in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from digest.ranking.semantic.model import load_model
        m = load_model(None)
        v = m.embed(["efficient inference for language models", "linear attention"])
        print(m.dim, m.name, round(float(v[0] @ v[1]), 3) > 0,
              sorted(x for x in ("wordllama", "requests", "huggingface_hub", "pydantic") if x in sys.modules))
    """, HF_HUB_OFFLINE="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["256", "l2_supercat_256", "True", "[]"]
    assert default_model_dir() is not None and (default_model_dir() / "weights").is_dir()


# --------------------------------------------------------------------------- config
def checked(tmp_path, table):
    return check_semantic(Checker(tmp_path / "config.toml"), table, tmp_path / "config.toml")


def test_semantic_settings_and_defaults(tmp_path, tiny_model):
    out = checked(tmp_path, {"model": str(tiny_model), "tags": ["ToRead", "cite"], "compare": "kept"})
    assert out["model"] == tiny_model and out["tags"] == ("toread", "cite")

    class Cfg:
        semantic = out

    s = settings(Cfg)
    assert s is not None and s.kept and not s.interests and s.weight == 1.0
    Cfg.semantic = checked(tmp_path, {"enabled": False})
    assert settings(Cfg) is None
    Cfg.semantic = {}
    assert settings(Cfg) is None


def test_a_relative_model_path_is_relative_to_the_config_file(tmp_path):
    write_model2vec(tmp_path / "models" / "m", topic_vectors())
    assert checked(tmp_path, {"model": "models/m"})["model"] == tmp_path / "models" / "m"


@pytest.mark.parametrize("table, where", [
    ({"weigth": 1}, "semantic.weigth: unknown key"),
    ({"weight": "high"}, "semantic.weight: must be a number"),
    ({"weight": -1}, "semantic.weight: must be 0 or more"),
    ({"compare": "everything"}, "semantic.compare: must be one of interests, kept, both"),
    ({"tags": ["bad tag!"]}, "semantic.tags[0]"),
    ({"tags": [3]}, "semantic.tags[0]: must be a tag name"),
    ({"model": "no/such/folder"}, "semantic.model: folder not found"),
    ({"model": ""}, "semantic.model: must name the model's folder"),  # was the config's own folder
    ({"model": "  "}, "semantic.model: must name the model's folder"),
    ({"model": "config.toml"}, "semantic.model: a file, not a folder"),  # was "folder not found"
    ({"enabled": "yes"}, "semantic.enabled: must be true or false"),
])
def test_semantic_config_mistakes_name_the_key(tmp_path, table, where):
    (tmp_path / "config.toml").write_text("[semantic]\n")
    with pytest.raises(ConfigError) as err:
        checked(tmp_path, table)
    assert where in str(err.value)


HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HIDDEN!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
        return None
sys.meta_path.insert(0, Hide())
"""


def digest_exe() -> str:
    exe = Path(sys.executable).parent / "digest"
    return str(exe) if exe.exists() else "digest"


def hidden_env(tmp_path: Path, hidden: set[str]) -> dict[str, str]:
    site = tmp_path / "hide"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(HIDE.format(HIDDEN=hidden))
    return {**os.environ, "PYTHONPATH": str(site)}


@pytest.mark.parametrize("hidden", [{"numpy", "tokenizers", "wordllama"}, {"wordllama"}, {"tokenizers"}])
def test_without_the_extra_semantic_is_a_one_line_error_saying_what_to_install(tmp_path, hidden):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[interests]\n"diffusion" = 2\n\n[semantic]\nweight = 1.5\n')
    env = hidden_env(tmp_path, hidden)
    r = subprocess.run([digest_exe(), "--config", str(cfg), "show"], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {cfg}: semantic: needs the semantic extra")
    assert "pip install 'digest[semantic]'" in lines[0] and "Traceback" not in r.stderr
    # switched off, the same config works without the extra
    cfg.write_text('[interests]\n"diffusion" = 2\n\n[semantic]\nenabled = false\n')
    r = subprocess.run([digest_exe(), "--config", str(cfg), "show"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr


def test_missing_modules_sees_what_is_installed():
    assert missing_modules(None) == []
    assert missing_modules(Path("/some/model")) == []


# --------------------------------------------------------------------------- the cache
def keys_of(texts):
    return np.array([text_key(t) for t in texts], dtype=np.uint64)


def make_cache(root: Path, dim: int = DIM, fp: str = "f" * 32) -> VectorCache:
    return VectorCache(root, dim, fp)


def test_cache_append_find_recent(tmp_path):
    texts = [f"paper {i}" for i in range(50)]
    vecs = unit(np.random.default_rng(1).normal(size=(50, DIM)).astype(np.float32))
    c = make_cache(tmp_path)
    assert not c.usable and c.n == 0 and (c.find(keys_of(texts)) == -1).all()
    c.append(keys_of(texts[:30]), vecs[:30])
    c.append(keys_of(texts[30:]), vecs[30:])
    assert c.n == 50
    rows = c.find(keys_of(texts[::-1] + ["absent"]))
    assert rows[-1] == -1 and list(rows[:-1]) == list(range(49, -1, -1))
    assert np.allclose(c.vectors(rows[:-1]), vecs[::-1], atol=2e-3)  # float16 rows
    assert np.allclose(c.recent(10), vecs[-10:], atol=2e-3)
    again = make_cache(tmp_path)  # another process sees the same rows
    assert again.n == 50 and (again.find(keys_of(texts)) == np.arange(50)).all()
    many = keys_of(texts * 100)  # more keys than FEW_KEYS: looked up in the sorted table
    assert (again.find(many) == np.tile(np.arange(50), 100)).all()


def test_few_keys_beyond_the_latest_rows_are_found_by_one_pass(tmp_path, monkeypatch):
    from digest.ranking.semantic import cache as cachemod

    monkeypatch.setattr(cachemod, "TAIL_WINDOW", 8)
    texts = [f"paper {i}" for i in range(40)]
    c = make_cache(tmp_path)
    c.append(keys_of(texts), unit(np.random.default_rng(4).normal(size=(40, DIM)).astype(np.float32)))
    c = make_cache(tmp_path)
    assert list(c.find(keys_of([texts[3], texts[39], "none", texts[0]]))) == [3, 39, -1, 0]
    assert c._sorted is None  # no sorting for a few keys


def test_a_cache_of_another_model_or_dimension_is_not_used(tmp_path):
    c = make_cache(tmp_path)
    c.append(keys_of(["a"]), unit(np.ones((1, DIM), dtype=np.float32)))
    c.set_coverage(10, "00")
    assert make_cache(tmp_path).coverage() == {"size": 10, "tail": "00"}
    other = make_cache(tmp_path, fp="e" * 32)
    assert not other.usable and other.n == 0 and other.coverage() == {}
    assert (other.find(keys_of(["a"])) == -1).all()
    wider = make_cache(tmp_path, dim=DIM * 2)
    assert not wider.usable and wider.coverage() == {}
    other.append(keys_of(["b"]), unit(np.ones((1, DIM), dtype=np.float32)))  # a writer starts afresh
    assert other.n == 1 and (other.find(keys_of(["a", "b"])) == [-1, 0]).all()


def test_what_a_killed_append_leaves_is_never_a_wrong_vector(tmp_path):
    """Every way an append can be cut short: vectors without their keys, a partial vector row,
    a partial key. The valid rows are exactly the complete pairs, and the next append cuts back."""
    rng = np.random.default_rng(2)
    texts = [f"text {i}" for i in range(20)]
    vecs = unit(rng.normal(size=(20, DIM)).astype(np.float32))
    c = make_cache(tmp_path)
    c.append(keys_of(texts[:10]), vecs[:10])
    vec_path, key_path = tmp_path / VEC, tmp_path / KEY
    row = 2 * DIM

    def check(expect_n):
        d = make_cache(tmp_path)
        assert d.n == expect_n
        rows = d.find(keys_of(texts))
        for i, r in enumerate(rows):
            if r >= 0:  # found: it is this text's vector
                assert np.allclose(d.vectors(np.array([r]))[0], vecs[i], atol=2e-3)
        assert (rows[:expect_n] >= 0).all() and (rows[expect_n:] == -1).all()

    with open(vec_path, "ab") as fh:  # killed after the vectors, before the keys
        fh.write(vecs[10:15].astype("<f2").tobytes())
    check(10)
    with open(vec_path, "ab") as fh:  # ... and in the middle of a vector row
        fh.write(vecs[15].astype("<f2").tobytes()[: row // 2])
    check(10)
    with open(key_path, "ab") as fh:  # keys for the complete vectors, the last one torn
        fh.write(keys_of(texts[10:13]).tobytes() + keys_of(texts[13:14]).tobytes()[:5])
    check(13)
    # the next append cuts both files back to the 13 valid rows, then adds its own
    c = make_cache(tmp_path)
    c.append(keys_of(texts[13:20]), vecs[13:20])
    assert vec_path.stat().st_size == HEADER + 20 * row and key_path.stat().st_size == HEADER + 20 * 8
    check(20)


def test_keys_without_vectors_are_not_rows(tmp_path):
    """A copy taken while an append ran may hold keys whose vectors it missed."""
    vecs = unit(np.random.default_rng(3).normal(size=(4, DIM)).astype(np.float32))
    c = make_cache(tmp_path)
    c.append(keys_of(["a", "b"]), vecs[:2])
    with open(tmp_path / KEY, "ab") as fh:
        fh.write(keys_of(["c", "d"]).tobytes())
    d = make_cache(tmp_path)
    assert d.n == 2 and list(d.find(keys_of(["a", "b", "c", "d"]))) == [0, 1, -1, -1]


def test_damaged_headers_make_the_cache_unusable_not_wrong(tmp_path):
    c = make_cache(tmp_path)
    c.append(keys_of(["a"]), unit(np.ones((1, DIM), dtype=np.float32)))
    raw = bytearray((tmp_path / VEC).read_bytes())
    raw[3] ^= 0xFF
    (tmp_path / VEC).write_bytes(bytes(raw))
    d = make_cache(tmp_path)
    assert not d.usable and d.n == 0 and d.coverage() == {}


def test_text_key_is_of_the_exact_text():
    from digest.ranking.semantic.cache import record_key

    for rec in ({"title": "A", "abstract": "b"}, {"title": "Tëxt ∑ 漢字"}, {"abstract": "x"}, {"title": "\ud800 lone"}):
        assert record_key(rec) == text_key(text_of(rec))
    assert text_key(text_of({"title": "A", "abstract": "b"})) == text_key("A\nb")
    assert text_key("A\nb") != text_key("A\nb ") != text_key("a\nb")
    assert text_of({"title": "T"}) == "T\n"


# --------------------------------------------------------------------------- through the command
PAPERS = [  # (title, abstract): no paper shares a word with the interest "reinforcement learning"
    ("Agents that act from trial-and-error rewards",
     "We train a policy with a value function and temporal-difference updates so that an agent maximises "
     "its return in simulated environments."),
    ("Teaching a robot arm to grasp by trial and error",
     "A manipulator improves its grasping policy from sparse success signals collected on real hardware."),
    ("Predicting protein structures from amino-acid sequences",
     "We present a model of residue contacts trained on crystallography data."),
    ("Gradient-boosted trees for tabular data",
     "We benchmark boosting libraries on spreadsheets from business applications."),
    ("Low-resource machine translation with back-translation",
     "We translate between languages with few parallel sentences."),
    ("Denoising diffusion for photo synthesis",
     "A generative model produces pictures by iteratively removing noise."),
]
FILLERS = [
    ("Sparse matrix kernels for graph analytics", "We speed up sparse products on multicore processors."),
    ("A corpus of historical newspapers", "We digitise and annotate newspapers from three centuries."),
    ("Speech recognition for dialects", "Acoustic models adapted to regional accents."),
    ("Compressing neural networks by pruning", "Removing weights with small magnitude keeps accuracy."),
    ("Federated learning under privacy constraints", "Clients train locally and share noisy updates."),
    ("Weather nowcasting from radar images", "Short-term precipitation maps predicted from radar."),
    ("Legal document summarisation", "Long court rulings condensed into short briefs."),
    ("Fair ranking in recommender systems", "Exposure is balanced across item providers."),
    ("Question answering over knowledge graphs", "Queries are parsed into graph patterns."),
    ("Point cloud segmentation for lidar", "Each point of a scan gets a semantic label."),
    ("Causal discovery from observational data", "Edges of a causal graph are inferred from samples."),
    ("Code generation with large language models", "Programs are written from natural language prompts."),
    ("Music generation with transformers", "Symbolic melodies are generated token by token."),
    ("Optical character recognition of receipts", "Printed totals and dates are read from photographs."),
    ("Chemistry property prediction with graphs", "Molecular graphs predict solubility."),
    ("Anomaly detection in server logs", "Unusual log lines flag failing machines."),
    ("Efficient attention for long documents", "Linear-time attention approximations for long inputs."),
    ("Multilingual sentiment analysis", "Opinions classified in twenty languages."),
    ("Traffic forecasting with sensors", "Road speeds predicted from loop detectors."),
    ("Self-supervised depth estimation", "Monocular depth learned from video sequences."),
    ("Bayesian optimisation of hyperparameters", "Gaussian processes choose the next configuration."),
    ("Image captioning with attention", "Captions describe the content of photographs."),
]


def dump(papers) -> str:
    parts = ["Daily Papers", "", "Nov 20", ""]
    for i, (title, abstract) in enumerate(papers):
        parts += [title, "", abstract, "", f"  • {1 + i % 5} authors", "·", "Nov 20, 2025 3", ""]
    return "\n".join(parts) + "\n"


PATCHED = """import sys
import digest.ranking.semantic.boost as boost
for name, value in {patch!r}.items():
    setattr(boost, name, value)
from digest.cli import cli
sys.argv[0] = "digest"
cli()
"""


def digest_run(home: Path, *args: str, config: Path, check: bool = True,
               design: dict | None = None) -> subprocess.CompletedProcess:
    """digest ARGS; with ``design``, constants of digest.ranking.semantic.boost set first."""
    exe = [sys.executable, "-c", PATCHED.format(patch=design)] if design else [digest_exe()]
    r = subprocess.run([*exe, "--config", str(config), *args], capture_output=True, text=True,
                       env={**os.environ, "DIGEST_HOME": str(home), "HF_HUB_OFFLINE": "1"}, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def write_cfg(path: Path, semantic: str | None, interests: str = '"reinforcement learning" = 3') -> Path:
    text = f"[interests]\n{interests}\n\n[show]\nlimit = 50\nmin_score = -100.0\n"
    if semantic is not None:
        text += f"\n[semantic]\n{semantic}\n"
    path.write_text(text)
    return path


def shown(r: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(r.stdout)


# the designs of the study in benchmarks/RESULTS.md (None: the default); each must pass the tests of meaning
DESIGNS = {"default": None, "profile": {"INTERESTS_AS": "profile"}, "title": {"TITLE_SHARE": 2.0},
           "profile+title": {"INTERESTS_AS": "profile", "TITLE_SHARE": 2.0}}


@pytest.mark.parametrize("design", DESIGNS)
def test_meaning_not_shared_words_decides_the_order(tmp_path, design):
    d = DESIGNS[design]
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    plain = write_cfg(tmp_path / "plain.toml", None)
    sem = write_cfg(tmp_path / "sem.toml", "weight = 2.0")
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=sem, design=d)
    without = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=plain))
    assert {p["score"] for p in without} == {0.0}  # no paper says "reinforcement learning"
    ranked = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=sem, design=d))
    titles = [p["title"] for p in ranked]
    assert titles[:2] == [PAPERS[0][0], PAPERS[1][0]]  # trial-and-error agents, then the robot arm
    assert ranked[0]["score"] > 0
    top = ranked[0]["matches"]
    assert top == [{"term": top[0]["term"], "field": "semantic", "weight": ranked[0]["score"]}]
    assert top[0]["term"].startswith('close to "reinforcement learning" (0.')
    assert titles.index(PAPERS[2][0]) > 5  # protein structures are far from it
    # the daily view (the latest run's papers) gives the same scores as the full rescore
    new = {p["id"]: p["score"] for p in shown(digest_run(home, "show", "--unmatched", "--format", "json", config=sem,
                                                         design=d))}
    assert new == {p["id"]: p["score"] for p in ranked}


def test_explain_and_every_format_show_the_semantic_line(tmp_path):
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    sem = write_cfg(tmp_path / "sem.toml", "weight = 2.0")
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=sem)
    best = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=sem))[0]
    want = f"semantic {best['score']:+g}: close to"
    out = digest_run(home, "explain", best["short_id"], config=sem).stdout
    assert 'close to "reinforcement learning" (0.' in out and "in semantic" in out
    for fmt in ("table", "markdown"):
        text = " ".join(digest_run(home, "show", "--all", "--format", fmt, config=sem).stdout.split())
        assert want in text, fmt
    cfg = tmp_path / "mail.toml"
    cfg.write_text(sem.read_text() + '\n[email]\nfrom = "d <d@example.org>"\nto = "me@example.org"\n')
    eml = digest_run(home, "email", "--dry-run", config=cfg).stdout
    assert "semantic" in eml and "close to" in eml


@pytest.mark.parametrize("design", [None, {"KEPT_AS": "centroid"}], ids=["default", "centroid"])
def test_kept_papers_are_compared_with_and_never_with_themselves(tmp_path, design):
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    kept_cfg = write_cfg(tmp_path / "kept.toml", 'compare = "kept"\ntags = ["toread"]\nweight = 2.0',
                         interests='"nothing relevant here" = 1')
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=kept_cfg)
    papers = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=kept_cfg,
                              design=design))
    assert {p["score"] for p in papers} == {0.0}  # nothing kept yet: nothing to compare with
    robot = next(p for p in papers if p["title"] == PAPERS[1][0])
    digest_run(home, "tag", robot["short_id"], "toread", config=kept_cfg)
    ranked = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=kept_cfg,
                              design=design))
    assert ranked[0]["title"] == PAPERS[0][0]  # the other trial-and-error paper
    assert ranked[0]["matches"][0]["term"].startswith(f'close to your kept paper "{PAPERS[1][0]}"')
    me = next(p for p in ranked if p["id"] == robot["id"])
    assert not [m for m in me["matches"] if m["field"] == "semantic"]


def cache_state(home: Path, model: Path | None = None):
    from digest.ranking.semantic.boost import open_cache

    class _S:
        root = home

    m = load_model(model)
    return m, open_cache(_S, m)  # type: ignore[arg-type]


def current_texts(home: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (home / "items.jsonl").read_text().splitlines():
        rec = json.loads(line)
        out[rec["id"]] = text_of(rec)
    return out


def assert_every_row_right(home: Path, model: Path | None = None, *, complete: bool = True) -> VectorCache:
    """Every row's vector is the model's vector of the text its key names; with ``complete``, every
    current record has one."""
    from digest.ranking.semantic.boost import embed_records

    m, c = cache_state(home, model)
    texts = current_texts(home)
    by_key = {text_key(text_of(r)): r for r in map(json.loads, (home / "items.jsonl").read_text().splitlines())}
    keys = c.all_keys().tolist()
    assert set(keys) <= set(by_key), "a row whose key is no stored text"
    if keys:
        want = embed_records(m, [by_key[k] for k in keys])
        assert np.allclose(c.vectors(np.arange(len(keys))), want, atol=3e-3)
    if complete:
        assert (c.find(keys_of(list(texts.values()))) >= 0).all()
    return c


def test_ingest_fills_the_cache_and_a_deleted_cache_is_rebuilt(tmp_path, tiny_model):
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    cfg = write_cfg(tmp_path / "c.toml", f'model = "{tiny_model}"')
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=cfg)
    c = assert_every_row_right(home, tiny_model)
    assert c.n == len(PAPERS + FILLERS)
    meta = json.loads((home / META).read_text())
    assert meta["covered"]["size"] == (home / "items.jsonl").stat().st_size
    before = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg))
    for name in (VEC, KEY, META):
        (home / name).unlink()
    after = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg))  # a reader rebuilds it
    assert after == before
    assert_every_row_right(home, tiny_model)


def test_papers_ingested_with_semantic_off_are_caught_up_when_it_is_on(tmp_path, tiny_model):
    home = tmp_path / "store"
    (tmp_path / "a.txt").write_text(dump(PAPERS + FILLERS[:15]))
    (tmp_path / "b.txt").write_text(dump(FILLERS[15:]))
    on = write_cfg(tmp_path / "on.toml", f'model = "{tiny_model}"')
    off = write_cfg(tmp_path / "off.toml", f'model = "{tiny_model}"\nenabled = false')
    digest_run(home, "ingest", str(tmp_path / "a.txt"), config=on)
    n = cache_state(home, tiny_model)[1].n
    digest_run(home, "ingest", str(tmp_path / "b.txt"), config=off)
    assert cache_state(home, tiny_model)[1].n == n  # off: not touched
    digest_run(home, "show", config=on)  # stale (the file grew): caught up from where it stopped
    c = assert_every_row_right(home, tiny_model)
    assert c.n == n + len(FILLERS[15:])


def test_a_rewritten_items_file_reuses_every_row(tmp_path, tiny_model):
    """Set-aside lines rewrite items.jsonl: the coverage no longer matches, every record is looked
    up again by its text, and nothing already cached is embedded twice."""
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    cfg = write_cfg(tmp_path / "c.toml", f'model = "{tiny_model}"')
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=cfg)
    n = cache_state(home, tiny_model)[1].n
    lines = (home / "items.jsonl").read_text().splitlines(keepends=True)
    lines.insert(3, '{"v": 1, "id": "zz", "title": 5}\n')  # a damaged line: set aside, file rewritten
    (home / "items.jsonl").write_text("".join(lines))
    r = digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg)
    assert "rejected" in r.stderr or "set aside" in r.stderr or r.returncode == 0
    c = assert_every_row_right(home, tiny_model)
    assert c.n == n  # no row added: every text was already there
    assert json.loads((home / META).read_text())["covered"]["size"] == (home / "items.jsonl").stat().st_size


def test_a_read_only_store_is_scored_with_vectors_made_in_memory(tmp_path, tiny_model):
    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    cfg = write_cfg(tmp_path / "c.toml", f'model = "{tiny_model}"')
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=cfg)
    before = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg))
    # a stale cache that cannot be caught up (the lock cannot be taken): warned, still ranked
    (home / META).unlink()
    lock = home / "lock"
    lock.unlink()
    lock.mkdir()  # opening the lock file fails like a read-only store
    r = digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg, check=False)
    lock.rmdir()
    assert r.returncode == 0, r.stderr
    assert shown(r) == before
    assert "semantic cache not updated" in r.stderr


@pytest.mark.parametrize("as_rebuild", [False, True])
def test_catch_up_embeds_each_text_once(tmp_path, tiny_model, monkeypatch, as_rebuild):
    from digest.ranking.semantic import boost
    from digest.store import Store

    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS + PAPERS[:3]))  # 3 repeated papers
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=write_cfg(tmp_path / "off.toml", None))
    if as_rebuild:  # a cache of this model with rows but no coverage: a catch-up from the start,
        monkeypatch.setattr(boost, "LONG_CATCH_UP", 0)  # through the sorted key table as a big one
        model = load_model(tiny_model)
        c = boost.open_cache(Store(home), model)
        c.append(keys_of([text_of(json.loads(x)) for x in (home / "items.jsonl").read_text().splitlines()[:5]]),
                 model.embed([text_of(json.loads(x)) for x in (home / "items.jsonl").read_text().splitlines()[:5]]))
    model = load_model(tiny_model)
    store = Store(home)
    with store:
        assert boost.catch_up(store, model) == len(PAPERS + FILLERS) - (5 if as_rebuild else 0)
        assert boost.catch_up(store, model) == 0  # covered: nothing to do
    cache = boost.open_cache(store, model)
    assert cache.n == len(PAPERS + FILLERS) and boost.is_fresh(store, cache)
    with pytest.raises(RuntimeError):
        boost.catch_up(store, model)  # a write needs the lock


def map_is_right(home: Path, model: Path | None = None, *, upto: int | None = None) -> int:
    """Every offset entry (below ``upto``) names the row of the text of the record line there."""
    from digest.ranking.semantic.cache import record_key

    m, c = cache_state(home, model)
    offs, rows = c._read_map()
    data = (home / "items.jsonl").read_bytes()
    keys = c.all_keys()
    checked = 0
    for off, row in zip(offs.tolist(), rows.tolist(), strict=True):
        if upto is not None and off >= upto:
            continue
        line = data[off:data.index(b"\n", off)]
        assert row < c.n and int(keys[row]) == record_key(json.loads(line)), f"entry at {off} is wrong"
        checked += 1
    return checked


def test_the_offset_map_names_each_line_and_a_killed_catch_up_is_cut_back(tmp_path, tiny_model):
    from digest.ranking.semantic.cache import _ENTRY, OFF

    home = tmp_path / "store"
    (tmp_path / "a.txt").write_text(dump(PAPERS + FILLERS[:10]))
    (tmp_path / "b.txt").write_text(dump(FILLERS[10:]))
    cfg = write_cfg(tmp_path / "c.toml", f'model = "{tiny_model}"')
    digest_run(home, "ingest", str(tmp_path / "a.txt"), config=cfg)
    assert map_is_right(home, tiny_model) == len(PAPERS + FILLERS[:10])
    # a killed catch-up: entries beyond the covered size, pointing anywhere
    covered = json.loads((home / META).read_text())["covered"]["size"]
    bogus = np.zeros(3, dtype=_ENTRY)
    bogus["off"], bogus["row"] = [covered, covered + 10, covered + 500], [0, 1, 2]
    with open(home / OFF, "ab") as fh:
        fh.write(bogus.tobytes())
    digest_run(home, "ingest", str(tmp_path / "b.txt"), config=cfg)
    assert map_is_right(home, tiny_model) == len(PAPERS + FILLERS)  # cut back, then the new lines
    before = shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg))
    (home / OFF).unlink()  # without the map a rescore looks rows up by hash: the same scores
    (home / META).write_text((home / META).read_text())
    _, c = cache_state(home, tiny_model)
    assert (c.rows_at(np.array([0], dtype=np.uint64)) == -1).all()
    assert shown(digest_run(home, "show", "--all", "--unmatched", "--format", "json", config=cfg)) == before


# --------------------------------------------------------------------------- the design study's alternatives
def background_texts(n: int = 60) -> list[str]:
    rng = np.random.default_rng(1)
    words = [w for ws in TOPICS.values() for w in ws.split()]
    return [" ".join([*rng.choice(FILLER, 5), str(rng.choice(words))]) for _ in range(n)]


def test_the_profile_is_the_weighted_mean_of_the_terms_and_names_the_closest_term(tmp_path, tiny_model,
                                                                                   monkeypatch):
    from digest.ranking.semantic import boost

    monkeypatch.setattr(boost, "INTERESTS_AS", "profile")
    m = load_model(tiny_model)
    bg = m.embed(background_texts())
    a = boost.build_anchors(m, make_cache(tmp_path, m.dim, m.fingerprint), {"reward agent": 3.0, "protein patient": 1.0,
                                                                            "muted": -2.0}, [], bg,
                            np.zeros(len(bg), dtype=np.uint64))
    t = m.embed(["reward agent", "protein patient"])
    q = unit(t[0] + t[1] / 3)
    assert a is not None and a.col_vectors.shape == (1, m.dim) and a.labels == ["reward agent", "protein patient"]
    assert np.allclose(a.col_vectors[0], q, atol=1e-5)
    cos = bg.astype(np.float64) @ q
    assert np.isclose(a.col_mean[0], cos.mean(), atol=1e-5) and np.isclose(a.col_sd[0], cos.std(), atol=1e-5)
    b = boost.SemanticBoost(m, make_cache(tmp_path, m.dim, m.fingerprint), a, 2.0)
    rec = {"id": "x", "title": "robot policy", "abstract": "reward actor critic exploration"}
    z = (float(m.embed([text_of(rec)])[0] @ q) - cos.mean()) / cos.std()
    assert z > boost.Z0 + 0.5
    [match] = b(rec)
    assert match.weight == pytest.approx(round(2.0 * (z - boost.Z0), 1), abs=0.051)
    assert match.term.startswith('close to "reward agent" (0.')


def test_the_kept_centroid_is_centred_and_a_kept_paper_meets_the_others(tmp_path, tiny_model, monkeypatch):
    from digest.ranking.semantic import boost

    monkeypatch.setattr(boost, "KEPT_AS", "centroid")
    m = load_model(tiny_model)
    bg = m.embed(background_texts())
    kept = [{"id": "k1", "title": "robot reward", "abstract": "agent policy"},
            {"id": "k2", "title": "actor critic", "abstract": "exploration environment control"},
            {"id": "k3", "title": "robots", "abstract": "reward agents"}]
    cache = make_cache(tmp_path, m.dim, m.fingerprint)
    a = boost.build_anchors(m, cache, {}, kept, bg, np.zeros(len(bg), dtype=np.uint64))
    kv = m.embed([text_of(r) for r in kept])
    mu = bg.astype(np.float64).mean(axis=0)
    assert a is not None and a.col_vectors.shape == (1, m.dim)
    assert np.allclose(a.col_vectors[0], unit(kv.mean(axis=0) - mu), atol=1e-5)
    col, loo, _, _ = a.own["k1"]
    assert col == 0 and loo is not None and np.allclose(loo, unit(kv[1:].mean(axis=0) - mu), atol=1e-5)
    one = boost.build_anchors(m, cache, {}, kept[:1], bg, np.zeros(len(bg), dtype=np.uint64))
    assert one is not None and one.own["k1"][1] is None  # alone: nothing to meet, no contribution
    b = boost.SemanticBoost(m, cache, a, 1.0)
    [match] = b({"id": "p", "title": "robot control", "abstract": "a policy maximises reward"})
    assert match.term.startswith('close to your kept paper "') and match.weight > 0


def test_title_pooling_is_part_of_the_cache_and_each_rebuilds_the_other(tmp_path, tiny_model, monkeypatch):
    from digest.ranking.semantic import boost

    home = tmp_path / "store"
    (tmp_path / "d.txt").write_text(dump(PAPERS + FILLERS))
    cfg = write_cfg(tmp_path / "c.toml", f'model = "{tiny_model}"')
    digest_run(home, "ingest", str(tmp_path / "d.txt"), config=cfg)
    one_text = json.loads((home / META).read_text())["model"]
    m = load_model(tiny_model)
    assert one_text == m.fingerprint
    digest_run(home, "show", config=cfg, design={"TITLE_SHARE": 2.0})
    monkeypatch.setattr(boost, "TITLE_SHARE", 2.0)
    assert json.loads((home / META).read_text())["model"] == boost.cache_fingerprint(m) != one_text
    c = assert_every_row_right(home, tiny_model)  # vectors of title and abstract apart, 2 : 1
    assert c.n == len(PAPERS + FILLERS)
    rec = {"title": PAPERS[0][0], "abstract": PAPERS[0][1]}
    t, ab = m.embed([rec["title"], rec["abstract"]])
    assert np.allclose(boost.embed_records(m, [rec])[0], unit(2 * t + ab), atol=1e-6)
    monkeypatch.setattr(boost, "TITLE_SHARE", 0.0)
    assert not cache_state(home, tiny_model)[1].usable  # not this pooling's cache: never read as one
    digest_run(home, "show", config=cfg)
    assert_every_row_right(home, tiny_model)
