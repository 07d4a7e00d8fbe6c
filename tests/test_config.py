"""config.toml loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest import paths
from digest.config import init_config, load_config, parse_config
from digest.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_builtin_default_is_the_top_level_example_and_is_valid():
    cfg = load_config(paths.default_config_path())
    assert cfg.interests["diffusion"] == 2.0
    assert cfg.weights["title"] > cfg.weights["abstract"]
    top = paths.default_config_path().parent.parent.parent / "config.toml"
    if top.exists():  # running from a checkout
        assert top.read_text() == paths.default_config_path().read_text()


def test_missing_user_config_falls_back_to_default(tmp_path):
    cfg = load_config(tmp_path / "nope.toml")
    assert cfg.is_default


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml: config file not found"):
        load_config(tmp_path / "nope.toml", explicit=True)


def test_full_config(tmp_path):
    p = write(tmp_path, """
[interests]
"pre-training" = 1.5
"crypto*" = -3
[weights]
title = 3
[authors]
"Ada Lovelace" = 2
[orgs]
"Amazon" = 1
[show]
limit = 5
min_score = 0.5
[sources.pages]
path = "~/pages/*.txt"
[sources.arxiv]
url = "https://rss.arxiv.org/atom/cs.LG"
kind = "feed"
[fetch]
timeout = 5
stale_days = 2
""")
    cfg = load_config(p)
    assert cfg.interests == {"pre-training": 1.5, "crypto*": -3.0}
    assert cfg.weights["title"] == 3.0 and cfg.weights["abstract"] == 1.0
    assert cfg.limit == 5 and cfg.min_score == 0.5
    assert [(s.name, s.path, s.url, s.kind) for s in cfg.sources] == [
        ("pages", "~/pages/*.txt", None, None),
        ("arxiv", None, "https://rss.arxiv.org/atom/cs.LG", "feed"),
    ]
    assert cfg.fetch_timeout == 5.0 and cfg.stale_days == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("[interests\n", r"config.toml: invalid TOML: .*line 1"),
        ('intrests = 1\n', r"intrests: unknown key \(expected one of: .*interests"),
        ('[show]\nlimit = "ten"\n', r"show.limit: must be an integer, got string 'ten'"),
        ('[show]\nlimt = 3\n', r"show.limt: unknown key"),
        ('[interests]\ndiffusion = "high"\n', r'interests."diffusion": weight must be a number'),
        ('[interests]\n"*" = 1\n', r"term must contain a word"),
        ('[sources.x]\npath = "a"\nurl = "https://b"\n', r"sources.x: needs exactly one of 'path' or 'url'"),
        ('[sources.x]\nurl = "ftp://b"\n', r"sources.x.url: must start with http"),
        ('[sources.x]\npath = "a"\nkind = "pdf"\n', r"sources.x.kind: must be one of dump, feed, hf_json"),
        ('[sources.x]\npath = "a"\ncolour = 1\n', r"sources.x.colour: unknown key"),
        ('interests = 3\n', r"interests: must be a table"),
        ('[show]\nlimit = 0\n', r"show.limit: must be at least 1"),
        ('[fetch]\ntimeout = -1\n', r"fetch.timeout: must be a positive"),
    ],
)
def test_invalid_config_names_file_key_and_fix(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as exc:
        load_config(p)
    assert str(exc.value).startswith(str(p))
    assert "\n" not in str(exc.value)


def test_not_utf8(tmp_path):
    p = tmp_path / "config.toml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(p)


def test_init_writes_default_and_refuses_to_overwrite(tmp_path):
    p = tmp_path / "sub" / "config.toml"
    init_config(p)
    assert p.read_text() == paths.default_config_path().read_text()
    with pytest.raises(ConfigError, match="already exists"):
        init_config(p)
    init_config(p, force=True)


def test_bool_is_not_a_number(tmp_path):
    with pytest.raises(ConfigError, match="got boolean true"):
        parse_config("[interests]\nx = true\n", tmp_path / "c.toml")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan", "9" * 400, "1e308", "-1e16"])
@pytest.mark.parametrize("text", [
    '[interests]\nx = {}\n', '[authors]\n"A B" = {}\n', '[weights]\ntitle = {}\n', '[show]\nmin_score = {}\n',
    '[store]\nlock_timeout = {}\n', '[fetch]\ntimeout = {}\n', '[learning]\nweight = {}\n',
    '[similarity]\nmin_similarity = {}\n', '[matching]\ndamping_from = {}\n',
])
def test_a_number_that_is_not_finite_is_refused(tmp_path, text, value):
    """TOML has nan and inf: a weight of nan made every score it touched nan (those papers sank
    or vanished without a word), inf printed "Infinity" in --format json (not JSON) and an
    infinite lock timeout waited forever; an integer too long for a float (TOML's have no limit)
    was an OverflowError traceback. Every number of the config is finite."""
    from digest.app import Context

    p = write(tmp_path, text.format(value))
    ctx = Context(config_path=p, store_path=tmp_path / "store")
    with pytest.raises(ConfigError, match="finite") as exc:
        _ = ctx.config  # the owned sections are checked by their owners, as a command loads it
    assert str(exc.value).startswith(str(p))


@pytest.mark.parametrize("term", ["**", "...", "|", " | * ", "-", "(.*)", "[+]", "\\\\"])
def test_a_term_of_punctuation_only_is_refused_like_a_lone_star(tmp_path, term):
    """ "*" and " " were refused ("term must contain a word") but "**", "...", "-" or "(.*)" were
    accepted and silently matched nothing: every term needs a letter or a digit."""
    p = write(tmp_path, f'[interests]\n"diffusion" = 1\n"{term}" = 1\n')
    with pytest.raises(ConfigError, match="term must contain a word"):
        load_config(p)
    assert load_config(write(tmp_path, '[interests]\n"a*b" = 1\n"gpt-4*" = 1\n"x | y" = 1\n"日本*" = 1\n')).interests


def test_paths_follow_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGEST_HOME", str(tmp_path / "h"))
    assert paths.store_dir() == tmp_path / "h"
    assert paths.config_path() == tmp_path / "h" / "config.toml"
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "c.toml"))
    assert paths.config_path() == tmp_path / "c.toml"
    assert paths.store_dir(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("DIGEST_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert paths.store_dir() == tmp_path / "data" / "digest"


@pytest.mark.parametrize("term", ["a*b", "gpt-4*", "x | y", "日本*", "C++", "²", "é", "_a", "*a*", "α-VAE", "&", "a & b",
                                  "**", "...", "(.*)", "- | *", "", "  "])
def test_the_fast_word_check_agrees_with_the_spellings(term):
    """_has_word answers from str.isalnum when it can: the same answer as splitting the spellings."""
    from digest.config import _has_word
    from digest.words import phrase_words

    assert _has_word(term) == any(phrase_words(a.strip().rstrip("*"))[0] for a in term.split("|"))


def test_numbers_up_to_1e15_are_kept_and_sums_of_them_stay_json(tmp_path, isolated_home):
    """Weights of 1e308 were finite, and two of them added up to inf: "score": Infinity in
    --format json, which jq refuses. Numbers are at most 1e15 in size; 1e15 itself is fine."""
    cfg = parse_config('[interests]\n"x" = 1e15\n"y" = -1e15\n[show]\nmin_score = -1e15\n', tmp_path / "c.toml")
    assert cfg.interests == {"x": 1e15, "y": -1e15}


def test_an_integer_too_long_to_read_is_one_config_error(tmp_path):
    """tomllib passes Python's refusal of an integer of more than 4,300 digits on as a ValueError
    (not a TOMLDecodeError): it was a traceback."""
    with pytest.raises(ConfigError, match=r"invalid TOML: an integer of 5000 digits \(more than can be read\)"):
        parse_config("[interests]\nx = " + "9" * 5000 + "\n", tmp_path / "c.toml")


def test_relative_paths_are_relative_to_the_config_file_whatever_the_working_directory(tmp_path, data_dir):
    # cron starts a job in $HOME: a source path relative to the working directory worked from the
    # shell the user tried it in and found no files at 6 a.m. ("no files match", exit 1 every day)
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent  # (tests is no package: conftest cannot be imported)

    conf = tmp_path / "conf"
    (conf / "pages").mkdir(parents=True)
    (conf / "pages" / "day1.txt").write_bytes((data_dir / "cli" / "day1.txt").read_bytes())
    (conf / "ca.pem").write_text("not checked before sending\n")
    cfg = conf / "config.toml"
    cfg.write_text('[sources.pages]\npath = "pages/*.txt"\n[sources.home]\npath = "~/nothing-here.txt"\n'
                   "enabled = false\n"
                   '[email]\nfrom = "a@example.org"\nto = "b@example.org"\nhost = "mail.example.org"\n'
                   'ca_file = "ca.pem"\n')
    loaded = load_config(cfg)
    assert loaded.sources[0].path == str(conf / "pages" / "*.txt")
    assert loaded.sources[1].path == "~/nothing-here.txt"  # ~ is the home folder, as before
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(repo))
    p = subprocess.run([sys.executable, "-m", "digest", "--config", str(cfg), "run", "--format", "json"],
                       cwd=elsewhere, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert "pages: 3 new, 3 parsed" in p.stderr
    from digest.mail.settings import settings_from_config

    assert settings_from_config(load_config(cfg)).ca_file == str(conf / "ca.pem")
