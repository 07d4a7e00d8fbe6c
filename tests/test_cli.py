"""The CLI contract, through click's CliRunner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from digest.cli import cli

DAY1 = "tests/data/cli/day1.txt"
DAY2 = "tests/data/cli/day2.txt"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def day1(data_dir):
    return str(data_dir / "cli" / "day1.txt")


@pytest.fixture
def day2(data_dir):
    return str(data_dir / "cli" / "day2.txt")


def run(runner, *args, input=None):
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def test_help_lists_commands(runner):
    r = run(runner, "--help")
    assert r.exit_code == 0
    for cmd in ("ingest", "parse", "show", "explain", "run", "config"):
        assert re.search(rf"^  {cmd}\b", r.output, re.M), cmd


def test_version(runner):
    r = run(runner, "--version")
    assert r.exit_code == 0 and r.output.startswith("digest, version ")


def test_parse_jsonl_contract(runner, day1):
    r = run(runner, "parse", day1, "--date", "2025-11-20")
    assert r.exit_code == 0
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["title"] for x in rows] == [
        "Diffusion Policies for Dexterous Robot Manipulation",
        "A Survey of Tabular Benchmarks",
        "Sparse Pre-Training for Small Language Models",
    ]
    keys = {"id", "title", "abstract", "n_authors", "authors", "published", "upvotes", "org", "links",
            "truncated", "source", "arxiv_id", "url", "categories"}
    assert all(keys <= set(x) for x in rows)
    first = rows[0]
    assert first["n_authors"] == 5 and first["upvotes"] == 12 and first["published"] == "2025-11-18"
    assert first["links"] == ["https://github.com/example/diffusion-dex"]
    assert rows[1]["published"] == "2024-10-02" and rows[1]["upvotes"] is None
    assert f"{day1}: 3 parsed" in r.stderr


def test_parse_bad_input_is_one_line_error_and_others_still_parse(runner, day1, tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\x01\x02binary")
    r = run(runner, "parse", str(bad), day1)
    assert r.exit_code == 1
    assert len(r.stdout.splitlines()) == 3
    errors = [line for line in r.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(bad) in errors[0]
    assert "Traceback" not in r.output


def test_ingest_counts_then_overlap_is_unchanged(runner, day1, day2):
    r = run(runner, "ingest", day1, "--date", "2025-11-20")
    assert r.exit_code == 0
    assert f"{day1}: 3 parsed, 3 new, 0 updated, 0 unchanged" in r.stderr
    assert r.stdout == ""
    r = run(runner, "ingest", day2, "--date", "2025-11-21")
    assert f"{day2}: 3 parsed, 2 new, 1 updated, 0 unchanged" in r.stderr  # upvotes 3 -> 9
    r = run(runner, "ingest", day1, "--date", "2025-11-20")
    assert f"{day1}: 3 parsed, 0 new, 1 updated, 2 unchanged" in r.stderr  # upvotes back to 3


def test_ingest_dry_run_writes_nothing(runner, day1):
    r = run(runner, "ingest", "--dry-run", day1)
    assert r.exit_code == 0
    assert r.stdout.count("new\t") == 3
    assert "dry run" in r.stderr
    r = run(runner, "show", "--format", "json")
    assert json.loads(r.stdout) == []


def test_ingest_stdin(runner, day1):
    with open(day1, encoding="utf-8") as fh:
        r = run(runner, "ingest", "-", "--date", "2025-11-20", input=fh.read())
    assert "<stdin>: 3 parsed, 3 new" in r.stderr


def test_ingest_missing_file(runner, tmp_path):
    r = run(runner, "ingest", str(tmp_path / "nope.txt"))
    assert r.exit_code == 1
    assert r.stderr.strip() == f"Error: {tmp_path / 'nope.txt'}: no such file"


def test_empty_dump_stores_nothing(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    r = run(runner, "ingest", str(empty))
    assert r.exit_code == 1 and "empty" in r.stderr
    assert json.loads(run(runner, "show", "--all", "--format", "json").stdout) == []


def test_show_json_is_ranked_with_score_and_matches(runner, day1):
    run(runner, "ingest", day1, "--date", "2025-11-20")
    r = run(runner, "show", "--format", "json", "--min-score", "-100")
    assert r.exit_code == 0
    data = json.loads(r.stdout)  # stdout is JSON and nothing else
    assert [d["rank"] for d in data] == [1, 2, 3]
    assert data[0]["title"] == "Diffusion Policies for Dexterous Robot Manipulation"
    assert data[0]["score"] == max(d["score"] for d in data)
    assert {"term": "diffusion", "field": "title", "weight": 4.0} in data[0]["matches"]
    survey = next(d for d in data if d["title"].startswith("A Survey"))
    assert any(m["term"] == "survey" and m["weight"] < 0 for m in survey["matches"])
    assert "showing 3 of 3 new papers" in r.stderr
    default = json.loads(run(runner, "show", "--format", "json").stdout)
    assert len(default) == 2  # min_score 0 hides the muted survey


def test_show_limit_min_score_and_jsonl(runner, day1):
    run(runner, "ingest", day1)
    r = run(runner, "show", "--format", "jsonl", "--limit", "1")
    assert len(r.stdout.splitlines()) == 1
    r = run(runner, "show", "--format", "json", "--min-score", "0.1")
    assert all(d["score"] >= 0.1 for d in json.loads(r.stdout))
    assert len(json.loads(r.stdout)) == 2


def test_show_new_is_latest_ingest_all_is_everything(runner, day1, day2):
    run(runner, "ingest", day1)
    run(runner, "ingest", day2)
    new = json.loads(run(runner, "show", "--unmatched", "--format", "json").stdout)
    assert {d["title"] for d in new} == {"[bold]Escaping[/] Titles in Terminal Output",
                                          "Weather Forecasting with Graph Networks"}
    everything = json.loads(run(runner, "show", "--all", "--min-score", "-99", "--unmatched",
                                "--format", "json").stdout)
    assert len(everything) == 5
    # the default min_score (0) hides the muted survey
    assert len(json.loads(run(runner, "show", "--all", "--unmatched", "--format", "json").stdout)) == 4
    since = json.loads(run(runner, "show", "--since", "2000-01-01", "--unmatched", "--format", "json").stdout)
    assert len(since) == 4


UNMATCHED = {"[bold]Escaping[/] Titles in Terminal Output", "Weather Forecasting with Graph Networks"}


def test_papers_that_matched_nothing_are_left_out_and_counted(runner, day1, day2, tmp_path):
    """Issue 14, defect 3: with interests configured, the papers that matched none of them
    filled the digest at score 0.0; they are left out by default, and the summary says how many
    and how to see them (--unmatched, or [show] unmatched = "show")."""
    run(runner, "ingest", day1)
    run(runner, "ingest", day2)
    note = "2 matched nothing (--unmatched shows them)"
    for args in (["show"], ["show", "--all"], ["show", "--since", "2000-01-01"]):
        r = run(runner, *args, "--format", "json")
        assert not UNMATCHED & {d["title"] for d in json.loads(r.stdout)}, args
        assert note in r.stderr, args
        table = run(runner, *args).stdout
        assert note in " ".join(table.split()) and "Weather" not in table, args
        assert UNMATCHED <= {d["title"] for d in json.loads(run(runner, *args, "--unmatched",
                                                                  "--format", "json").stdout)}
    assert "matched nothing" not in run(runner, "show", "--unmatched").stdout
    everything_unmatched = run(runner, "show").stdout  # the latest ingest: day2's two unmatched papers
    assert "Nothing new." not in everything_unmatched and "Nothing to show." in everything_unmatched
    assert "matched nothing" not in run(runner, "show", "--min-score", "1").stdout  # hidden by min_score anyway
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"diffusion" = 1.0\n[show]\nunmatched = "show"\n')
    shown = json.loads(run(runner, "--config", str(cfg), "show", "--format", "json").stdout)
    assert UNMATCHED <= {d["title"] for d in shown}
    cfg.write_text('[show]\nlimit = 20\n')  # no interests at all: nothing can match, nothing is left out
    r = run(runner, "--config", str(cfg), "show", "--format", "json")
    assert UNMATCHED <= {d["title"] for d in json.loads(r.stdout)} and "matched nothing" not in r.stderr
    for cmd in ("show", "run", "email"):
        assert "--unmatched" in run(runner, cmd, "--help").stdout
    assert "--held-back" in run(runner, "show", "--help").stdout
    cfg.write_text('[show]\nunmatched = "sometimes"\n')
    r = run(runner, "--config", str(cfg), "show")
    assert r.exit_code == 1 and "show.unmatched" in r.stderr and '"hide" or "show"' in r.stderr


def test_run_leaves_unmatched_papers_out_too(runner, tmp_path, day2):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[interests]\n"pre-training" = 1.0\n[sources.pages]\npath = "{day2}"\n')
    r = run(runner, "--config", str(cfg), "run")
    assert r.exit_code == 0, r.stderr
    assert "Sparse Pre-Training" in r.stdout and "Weather" not in r.stdout
    assert "2 matched nothing (--unmatched shows them)" in r.stdout
    assert json.loads(run(runner, "show", "--since", "2999-01-01", "--format", "json").stdout) == []


def test_show_table_plain_when_piped_and_markup_literal(runner, day1, day2):
    run(runner, "ingest", day1)
    run(runner, "ingest", day2)
    r = run(runner, "show", "--unmatched")
    assert r.exit_code == 0
    assert "\x1b" not in r.stdout
    assert "[bold]Escaping[/] Titles in Terminal Output" in r.stdout
    assert "New papers" in r.stdout and "showing 2 of 2 new papers" in r.stdout


def test_show_markdown(runner, day1):
    run(runner, "ingest", day1)
    r = run(runner, "show", "--format", "markdown")
    assert r.stdout.startswith("# New papers")
    # a Daily Papers paper has no page: its title links to a title search, labelled as one (issue 14)
    assert ("1. **[Diffusion Policies for Dexterous Robot Manipulation](https://arxiv.org/search/?query="
            "Diffusion+Policies+for+Dexterous+Robot+Manipulation&searchtype=title)** (search: arXiv)"
            " — score 9 · `") in r.stdout
    assert "[code](https://github.com/example/diffusion-dex)" in r.stdout


def test_show_on_empty_store(runner):
    r = run(runner, "show")
    assert r.exit_code == 0 and "Nothing new." in r.stdout


def test_explain_by_prefix(runner, day1):
    run(runner, "ingest", day1)
    data = json.loads(run(runner, "show", "--format", "json").stdout)
    top = data[0]
    r = run(runner, "explain", top["short_id"][:6])
    assert r.exit_code == 0
    assert "+4.00  diffusion  in title" in r.stdout
    assert f"{top['score']:+8.2f}  total" in r.stdout
    r = run(runner, "explain", top["id"], "--format", "json")
    assert json.loads(r.stdout)["score"] == top["score"]


def test_explain_unknown_and_bad_prefix(runner, day1):
    run(runner, "ingest", day1)
    r = run(runner, "explain", "0000000000")
    assert r.exit_code == 1 and r.stderr.startswith("Error: no item with id '0000000000'")
    r = run(runner, "explain", "zz")
    assert r.exit_code == 1 and "not an item id" in r.stderr


def test_usage_error_exits_2(runner):
    assert run(runner, "show", "--limit", "zero").exit_code == 2
    assert run(runner, "ingest", "x", "--date", "20-11-2025").exit_code == 2
    assert run(runner, "frobnicate").exit_code == 2


def test_bad_config_is_one_line_error(runner, tmp_path, day1):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[interests]\ndiffusion = 'lots'\n")
    r = run(runner, "--config", str(cfg), "show")
    assert r.exit_code == 1
    assert r.stderr == f'Error: {cfg}: interests."diffusion": weight must be a number, got string \'lots\'\n'


def test_config_path_show_init(runner, isolated_home):
    r = run(runner, "config", "path")
    expected = isolated_home / "store" / "config.toml"
    assert r.stdout.strip() == str(expected)
    assert "built-in default" in r.stderr
    r = run(runner, "config", "show")
    assert "[interests]" in r.stdout
    r = run(runner, "config", "init")
    assert r.exit_code == 0 and expected.exists()
    r = run(runner, "config", "init")
    assert r.exit_code == 1 and "already exists" in r.stderr


def test_user_config_changes_the_ranking(runner, tmp_path, day1):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"tabular" = 5\n')
    run(runner, "ingest", day1)
    data = json.loads(run(runner, "--config", str(cfg), "show", "--format", "json").stdout)
    assert data[0]["title"] == "A Survey of Tabular Benchmarks"


def test_run_without_sources_says_how_to_add_them(runner):
    r = run(runner, "run")
    assert r.exit_code == 1
    assert "no sources configured" in r.stderr


def test_run_configured_path_source_and_unchanged_file_is_skipped(runner, tmp_path, day1, day2):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_bytes(open(day1, "rb").read())
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.pages]\npath = "{pages}/*.txt"\n')
    r = run(runner, "--config", str(cfg), "run", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)) == 3
    assert "3 new of 3 parsed" in r.stderr
    (pages / "b.txt").write_bytes(open(day2, "rb").read())
    r = run(runner, "--config", str(cfg), "run", "--format", "json")
    assert len(json.loads(r.stdout)) == 2
    assert "1 unchanged input skipped" in r.stderr


def test_run_one_broken_source_others_still_processed(runner, tmp_path, day1):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.good]\npath = "{day1}"\n[sources.gone]\npath = "{tmp_path}/missing/*.txt"\n')
    r = run(runner, "--config", str(cfg), "run", "--format", "json")
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)) == 3
    assert "gone" in r.stderr and "no files match" in r.stderr


def test_demo_runs_on_builtin_sample_and_touches_no_store(runner, isolated_home):
    r = run(runner, "run", "--demo", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert len(data) >= 5
    assert data[0]["score"] >= data[-1]["score"]
    assert not (isolated_home / "store").exists()
    r = run(runner, "run", "--demo")
    assert "digest demo" in r.stdout


def test_busy_store_exits_75(runner, tmp_path, day1, isolated_home):
    hold = (
        "import sys, time\nfrom digest.store import Store\n"
        "with Store(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(5)\n"
    )
    store = isolated_home / "store"
    p = subprocess.Popen([sys.executable, "-c", hold, str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        cfg = tmp_path / "c.toml"
        cfg.write_text("[store]\nlock_timeout = 0.3\n")
        r = run(runner, "--config", str(cfg), "ingest", day1)
        assert r.exit_code == 75
        assert r.stderr.startswith("Error: ") and "busy" in r.stderr
    finally:
        p.kill()
        p.wait()


def test_python_dash_m_and_console_script():
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "digest, version" in r.stdout
