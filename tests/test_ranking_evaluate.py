"""digest eval: the ranks tagged papers had on the day they arrived, under this config or another."""

from __future__ import annotations

import json

from click.testing import CliRunner

from digest.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def dump(titles):
    head = "Daily Papers\n\nbyAK and the research community\n\nNov 20\n\n"
    return head + "".join(f"{t}\n\nAbstract of {t}, a paper.\n\n  \u2022 2 authors\n\u00b7\nNov 18 1\n\n"
                          for t in titles)


def test_eval_replays_each_arrival(tmp_path):
    day1 = tmp_path / "d1.txt"
    day1.write_text(dump(["Diffusion models for robots", "A survey of diffusion", "Tabular data", "Graph nets"]))
    day2 = tmp_path / "d2.txt"
    day2.write_text(dump(["Robot arms", "Diffusion policies", "Sparse attention"]))
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n"survey" = -5.0\n[show]\nlimit = 1\n')
    other = tmp_path / "other.toml"
    other.write_text('[interests]\n"robot" = 3.0\n[show]\nlimit = 1\n')
    assert run("ingest", str(day1), "--date", "2025-11-20").exit_code == 0
    assert run("ingest", str(day2), "--date", "2025-11-21").exit_code == 0
    shown = json.loads(run("show", "--all", "--unmatched", "--format", "json", "--min-score", "-100", "--limit", "10").stdout)
    ids = {d["title"]: d["id"] for d in shown}
    for t in ("A survey of diffusion", "Robot arms", "Graph nets"):
        assert run("tag", ids[t], "toread").exit_code == 0
    assert run("tag", ids["Diffusion policies"], "cite").exit_code == 0

    r = run("--config", str(cfg), "eval")
    assert r.exit_code == 0
    assert r.stdout == ("of 4 papers you tagged, 1 (25%) was in that day's top 1; median rank 2; "
                        "mute terms hid 1 of them\n")
    assert "(2 ingest runs replayed, 7 papers ranked)" in r.stderr

    r = run("--config", str(cfg), "eval", "--tag", "TOREAD", "--top", "3", "--config", str(other))
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == f"{cfg}:" and lines[2] == f"{other}:"
    assert "of 3 papers you tagged toread, 2 (67%) were in that day's top 3; median rank 2" in lines[1]
    assert "of 3 papers you tagged toread, 3 (100%) were in that day's top 3; median rank 2" in lines[3]

    data = json.loads(run("--config", str(cfg), "eval", "--format", "json").stdout)
    ranks = {p["title"]: (p["rank"], p["pool"], p["hidden"], p["in_top"]) for p in data[0]["ranks"]}
    assert ranks == {"A survey of diffusion": (4, 4, True, False), "Graph nets": (2, 4, False, False),
                     "Robot arms": (2, 3, False, False), "Diffusion policies": (1, 3, False, True)}


def test_eval_with_nothing_tagged(tmp_path):
    day1 = tmp_path / "d1.txt"
    day1.write_text(dump(["Diffusion models"]))
    run("ingest", str(day1), "--date", "2025-11-20")
    r = run("eval")
    assert r.exit_code == 0 and "nothing to replay" in r.stdout


def test_eval_other_config_must_exist(tmp_path):
    r = run("eval", "--config", str(tmp_path / "missing.toml"))
    assert r.exit_code == 2
