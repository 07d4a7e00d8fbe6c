"""The CLI contract, through click's CliRunner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from digest.cli import cli

DAY1 = "tests/data/cli/day1.txt"
DAY2 = "tests/data/cli/day2.txt"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def test_run_without_sources_says_how_to_add_them(runner, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"diffusion" = 1\n')
    r = run(runner, "--config", str(cfg), "run")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: no sources configured in {cfg}: add a [sources.NAME] table")


def test_run_without_a_config_of_ones_own_says_config_init(runner, isolated_home):
    r = run(runner, "run")
    assert r.exit_code == 1
    own = isolated_home / "store" / "config.toml"
    assert r.stderr.startswith(f"Error: {own}: no config of your own yet, so no sources to run: "
                               "`digest config init` writes one here;")
    assert "digest/data/config.toml" not in r.stderr  # not the installed package's file


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


def _ingest_while_held(runner, tmp_path, day1, hold: str, target):
    """``digest ingest`` (lock_timeout 0.3 s) while a process running ``hold`` on ``target`` holds
    the store's lock: (the CLI result, the holder's pid)."""
    p = subprocess.Popen([sys.executable, "-c", hold, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        cfg = tmp_path / "c.toml"
        cfg.write_text("[store]\nlock_timeout = 0.3\n")
        return run(runner, "--config", str(cfg), "ingest", day1), p.pid
    finally:
        p.kill()
        p.wait()


def test_busy_store_exits_75(runner, tmp_path, day1, isolated_home):
    hold = (
        "import sys, time\nfrom digest.store import Store\n"
        "with Store(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(5)\n"
    )
    store = isolated_home / "store"
    r, pid = _ingest_while_held(runner, tmp_path, day1, hold, store)
    assert r.exit_code == 75
    waiting, error = r.stderr.splitlines()
    assert waiting == f"waiting for another digest (pid {pid}) to finish with {store} … (up to 0.3s)"
    assert error.startswith("Error: ") and "busy" in error


def test_busy_store_names_no_pid_that_is_gone(runner, tmp_path, day1, isolated_home):
    """The lock file keeps the pid of the last digest that held it; held by another program
    (flock(1), a backup script), the wait names no pid rather than that finished digest's."""
    store = isolated_home / "store"
    assert run(runner, "ingest", day1).exit_code == 0  # leaves this process's pid behind
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (store / "lock").write_text(f"{gone.pid}\n")
    hold = ("import fcntl, sys, time\nfd = open(sys.argv[1], 'a')\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\ntime.sleep(5)\n")
    r, _ = _ingest_while_held(runner, tmp_path, day1, hold, store / "lock")
    assert r.exit_code == 75
    assert r.stderr.splitlines()[0] == f"waiting for another digest to finish with {store} … (up to 0.3s)"


def test_python_dash_m_and_console_script():
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "digest, version" in r.stdout


def _mute_config(tmp_path):
    cfg = tmp_path / "mute.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n"tabular" = 1.0\n"survey" = -3.0\n[show]\nmin_score = 0.0\n')
    return str(cfg)


def test_muting_is_never_silent(runner, day1, tmp_path):
    cfg = _mute_config(tmp_path)
    run(runner, "ingest", day1, "--date", "2025-11-20")
    r = run(runner, "--config", cfg, "show")
    assert r.exit_code == 0
    assert "; 1 hidden by mute terms: survey (1)" in r.stdout.replace("\n", " ")
    assert "A Survey of Tabular Benchmarks" not in r.stdout
    r = run(runner, "--config", cfg, "show", "--hidden")
    assert r.exit_code == 0
    assert "A Survey of Tabular Benchmarks" in r.stdout
    assert "hidden by the mute term survey" in r.stdout
    assert "1 of 3 new papers hidden by mute terms: survey (1)" in r.stdout
    r = run(runner, "--config", cfg, "show", "--hidden", "--format", "json")
    assert [d["title"] for d in json.loads(r.stdout)] == ["A Survey of Tabular Benchmarks"]
    r = run(runner, "--config", cfg, "show", "--all", "--hidden", "--format", "json")
    assert [d["title"] for d in json.loads(r.stdout)] == ["A Survey of Tabular Benchmarks"]
    assert "1 of 3 stored papers hidden by mute terms: survey (1)" in r.stderr


def test_a_mute_term_that_does_not_decide_hides_nothing(runner, day1, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"tabular" = 5.0\n"survey" = -1.0\n')
    run(runner, "ingest", day1, "--date", "2025-11-20")
    r = run(runner, "--config", str(cfg), "show")
    assert "A Survey of Tabular Benchmarks" in r.stdout and "hidden by mute" not in r.stdout


def test_config_show_warns_about_terms_the_rules_make_identical(runner, day1, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"benchmark" = 1.0\n"benchmarks" = 2.0\n"time series" = 3\n"time-series" = 3\n'
                   '"VLM" = 2.0\n"diffusion" = 1.0\n')
    run(runner, "ingest", day1, "--date", "2025-11-20")
    r = run(runner, "--config", str(cfg), "config", "show")
    assert r.exit_code == 0 and r.stdout == cfg.read_text()
    assert ('Warning: interests: "benchmarks" is the same term as "benchmark" under the matching rules, so only "benchmark" counts'
            in r.stderr)
    assert 'Warning: interests: "time-series" is the same term as "time series"' in r.stderr
    assert '"VLM" also matches \'vision-language model\' (VLM → vision-language model)' in r.stderr
    assert "diffusion" not in r.stderr


# --------------------------------------------------------------------------- issue 14: an unusable store path
STORE_COMMANDS = [["show"], ["show", "--all"], ["list"], ["list", "--untagged"], ["tags"], ["export"],
                  ["explain", "abcd"], ["tag", "abcd", "x"], ["note", "abcd", "hi"], ["open", "abcd"],
                  ["ingest", DAY1]]


@pytest.mark.parametrize("args", STORE_COMMANDS, ids=" ".join)
def test_store_path_that_is_a_file_is_one_line_for_every_command(runner, tmp_path, monkeypatch, args):
    afile = tmp_path / "hostname"
    afile.write_text("not a store\n")
    monkeypatch.setenv("DIGEST_HOME", str(afile))
    r = runner.invoke(cli, args)
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert r.stderr == f"Error: {afile}: not a directory: the store (DIGEST_HOME) must be a directory\n"
    monkeypatch.setenv("DIGEST_HOME", str(afile / "sub"))
    r = runner.invoke(cli, args)
    assert r.exit_code == 1
    assert r.stderr == f"Error: {afile / 'sub'}: {afile} is not a directory, so the store (DIGEST_HOME) cannot be here\n"
    r = runner.invoke(cli, ["--store", str(afile), *args])
    assert r.exit_code == 1
    assert r.stderr == f"Error: {afile}: not a directory: the store (--store) must be a directory\n"


# --------------------------------------------------------------------------- issue 14: a failed source on stderr
@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_run_failed_source_warns_on_stderr_in_every_format(runner, tmp_path, day1, fmt):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.good]\npath = "{day1}"\n[sources.gone]\npath = "{tmp_path}/missing/*.txt"\n')
    r = run(runner, "--config", str(cfg), "run", "--format", fmt)
    assert r.exit_code == 1
    assert f"Warning: gone: {tmp_path}/missing/*.txt: no files match" in r.stderr.splitlines()
    if fmt != "json":
        assert "no files match" in r.stdout  # the document still says so


def test_run_warning_once_when_stderr_is_stdout(tmp_path, day1):
    """cron's `>> log 2>&1` (and a terminal): the warning is in the document, not twice."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.good]\npath = "{day1}"\n[sources.gone]\npath = "{tmp_path}/missing/*.txt"\n')
    log = tmp_path / "log"
    with open(log, "ab") as fh:
        p = subprocess.run([sys.executable, "-m", "digest", "--config", str(cfg), "run"], stdout=fh, stderr=fh)
    assert p.returncode == 1
    assert log.read_text().count("no files match") == 1


# --------------------------------------------------------------------------- issue 14: first-run hints
@pytest.mark.parametrize("args", [["show"], ["show", "--format", "json"], ["list"], ["tags"], ["export"]], ids=" ".join)
def test_empty_or_mistyped_store_says_how_to_add_papers(runner, isolated_home, tmp_path, args):
    r = run(runner, *args)
    assert r.exit_code == 0
    store = isolated_home / "store"
    assert (f"Hint: no store at {store} yet (is DIGEST_HOME right?): add papers with `digest ingest FILE` "
            "or `digest run`; `digest run --demo` shows a sample") in r.stderr.splitlines()
    typo = tmp_path / "stroe"
    r = run(runner, "--store", str(typo), *args)
    assert f"Hint: no store at {typo} yet (is --store right?): add papers" in r.stderr
    typo.mkdir()
    r = run(runner, "--store", str(typo), *args)
    assert f"Hint: the store {typo} is empty: add papers" in r.stderr


def test_unknown_id_in_an_empty_store_says_how_to_add_papers(runner):
    r = run(runner, "explain", "abcd")
    assert r.exit_code == 1
    line, detail = r.stderr.splitlines()
    assert line == "Error: no item with id 'abcd'"
    assert detail.startswith("  Hint: no store at ") and "digest ingest FILE" in detail


def test_no_hint_once_the_store_has_papers(runner, day1):
    run(runner, "ingest", day1)
    for args in (["show"], ["list"], ["tags"], ["explain", "ffff"]):
        assert "Hint:" not in run(runner, *args).stderr


def test_demo_says_what_to_do_next(runner):
    r = run(runner, "run", "--demo", "--limit", "1")
    assert "Hint: that was the built-in sample, in a throw-away store. Next: `digest config init`" in r.stderr


# --------------------------------------------------------------------------- issue 14: counts add up
def test_ingest_counts_add_up_when_an_input_holds_a_paper_twice(runner, tmp_path, data_dir):
    from digest.render import to_json

    rows = [{"paper": {"id": "2501.00001", "title": "One Paper, First Title", "summary": "We study it."}},
            {"paper": {"id": "2501.00001", "title": "One Paper: Retitled", "summary": "We study it."}},
            {"paper": {"id": "2501.00002", "title": "Another Paper", "summary": "We study that."}}]
    src = tmp_path / "twice.json"
    src.write_text(to_json(rows))
    r = run(runner, "ingest", str(src))
    line = next(x for x in r.stderr.splitlines() if x.startswith(str(src)))
    assert line == f"{src}: 3 parsed, 2 new, 0 updated, 0 unchanged, 1 merged (the same paper twice in this input)"
    nums = [int(n) for n in re.findall(r"(\d+) (?:new|updated|unchanged|merged)", line)]
    assert sum(nums) == 3


def test_a_dump_holding_a_paper_twice_counts_it_merged_as_other_inputs_do(runner, data_dir):
    """README: a paper an input holds twice is stored once and counted as "merged" (the counts
    add up to "parsed"): a Daily Papers page pasted with an entry twice says so in the same words
    as a JSON or a feed, in ingest's line and in parse's."""
    src = data_dir / "dumps" / "duplicate.txt"
    r = run(runner, "ingest", str(src))
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines() == [
        f"{src}: 3 parsed, 2 new, 0 updated, 0 unchanged, 1 merged (the same paper twice in this input)"]
    r = run(runner, "parse", str(src))
    assert len(r.stdout.splitlines()) == 2
    assert r.stderr.splitlines() == [f"{src}: 3 parsed, 1 merged (the same paper twice in this input)"]


# --------------------------------------------------------------------------- issue 14: arXiv ids as ids
@pytest.mark.parametrize("ref", ["2508.21001", "2508.21001v2", "arXiv:2508.21001", "https://arxiv.org/abs/2508.21001v1",
                                 "https://arxiv.org/pdf/2508.21001", "https://huggingface.co/papers/2508.21001"])
def test_arxiv_ids_work_wherever_an_id_is_asked(runner, data_dir, ref):
    run(runner, "ingest", str(data_dir / "feeds" / "arxiv_rss_cs_LG.xml"))
    r = run(runner, "explain", ref, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["id"] == "bcfa3a99f7f1494a"
    r = run(runner, "tag", ref, "toread")
    assert r.exit_code == 0 and r.stderr.startswith("bcfa3a99  +toread")
    assert run(runner, "note", ref, "read the proofs").exit_code == 0
    assert run(runner, "open", "--print", ref).stdout.strip() == "https://arxiv.org/abs/2508.21001"
    assert run(runner, "untag", ref, "toread").exit_code == 0


def test_unknown_arxiv_id_is_one_line(runner, data_dir):
    run(runner, "ingest", str(data_dir / "feeds" / "arxiv_rss_cs_LG.xml"))
    r = run(runner, "explain", "arXiv:2401.00001v3")
    assert r.exit_code == 1
    assert r.stderr == "Error: no paper with arXiv id 2401.00001 in the store\n"


# --------------------------------------------------------------------------- issue 14: options where users type them
def test_config_and_store_after_the_subcommand(runner, tmp_path, day1):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"tabular" = 5\n')
    store = tmp_path / "elsewhere"
    r = run(runner, "ingest", day1, "--store", str(store))
    assert r.exit_code == 0 and (store / "items.jsonl").exists()
    data = json.loads(run(runner, "show", "--format", "json", "--config", str(cfg), "--store", str(store)).stdout)
    assert data[0]["title"] == "A Survey of Tabular Benchmarks"
    # after the subcommand wins over before it
    other = tmp_path / "other.toml"
    other.write_text('[interests]\n"weather" = 5\n')
    r = run(runner, "--config", str(other), "show", "--format", "json", "--config", str(cfg), "--store", str(store))
    assert json.loads(r.stdout)[0]["title"] == "A Survey of Tabular Benchmarks"
    r = run(runner, "config", "path", "--config", str(cfg))
    assert r.stdout.strip() == str(cfg)
    assert run(runner, "tags", "--store", str(store / "items.jsonl")).exit_code == 1  # the store's own check


def test_since_takes_yesterday_and_spans(runner, day1):
    run(runner, "ingest", day1)
    for since in ("today", "yesterday", "7d", "2w", "0d"):
        r = run(runner, "show", "--since", since, "--format", "json")
        assert r.exit_code == 0 and len(json.loads(r.stdout)) == 2, since
    r = run(runner, "show", "--since", "last week")
    assert r.exit_code == 2 and "'last week' is not a date (DATE: YYYY-MM-DD, today, yesterday" in r.stderr


def test_show_sort_upvotes(runner, tmp_path, day1, day2):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"survey" = 5\n"weather" = 3\n"sparse" = 1\n"diffusion" = -1\n')
    run(runner, "ingest", day1)
    run(runner, "ingest", day2)

    def shown(*args):
        r = run(runner, "--config", str(cfg), "show", "--format", "json", "--min-score", "0.1", *args)
        assert r.exit_code == 0, r.stderr
        return [(d["title"].split()[0], d["upvotes"]) for d in json.loads(r.stdout)]

    assert shown("--all") == [("A", None), ("Weather", None), ("Sparse", 9)]
    assert shown("--all", "--sort", "upvotes") == [("Sparse", 9), ("A", None), ("Weather", None)]
    assert shown("--all", "--sort", "upvotes", "--limit", "1") == [("Sparse", 9)]
    assert shown("--since", "2000-01-01", "--sort", "upvotes") == [("Sparse", 9), ("A", None), ("Weather", None)]
    assert shown("--sort", "upvotes") == [("Weather", None)]  # the latest ingest's papers
    # --min-score still applies: Diffusion (12 upvotes) scores below it
    r = run(runner, "--config", str(cfg), "show", "--all", "--sort", "upvotes", "--format", "json", "--min-score", "-99")
    assert [d["upvotes"] for d in json.loads(r.stdout)][:2] == [12, 9]


def test_list_sort_upvotes(runner, day1, day2):
    run(runner, "ingest", day1)
    run(runner, "ingest", day2)
    rows = json.loads(run(runner, "list", "--untagged", "--sort", "upvotes", "--format", "json").stdout)
    ups = [r["upvotes"] for r in rows]
    counted = [u for u in ups if u is not None]
    assert len(counted) >= 2 and ups[: len(counted)] == sorted(counted, reverse=True)


# --------------------------------------------------------------------------- issue 14: a pager, as git has
def digest_exe() -> str:
    exe = os.path.join(os.path.dirname(sys.executable), "digest")
    return exe if os.path.exists(exe) else "digest"


def in_a_terminal(args, env, stdin=None):
    """Run the installed digest with stdout on a pseudo-terminal: (exit code, what reached the
    terminal, stderr)."""
    import pty
    import threading

    master, slave = pty.openpty()
    got = bytearray()

    def drain():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                return
            if not chunk:
                return
            got.extend(chunk)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    p = subprocess.run([digest_exe(), *args], stdout=slave, stderr=subprocess.PIPE, stdin=stdin, env=env, timeout=60)
    os.close(slave)
    t.join(10)
    os.close(master)
    return p.returncode, got.decode("utf-8", "replace"), p.stderr.decode()


def unstyled(text: str) -> str:
    """Text without SGR codes and OSC 8 hyperlinks."""
    return re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", text)


@pytest.fixture
def pager_env(tmp_path, isolated_home, data_dir):
    """A store with papers and a PAGER that records what it was given (and $LESS)."""
    env = dict(os.environ, COLUMNS="80")
    env.pop("LESS", None)
    env["PAGER"] = f"sh -c 'echo \"$LESS\" > {tmp_path}/less; cat > {tmp_path}/paged'"
    for day in ("day1.txt", "day2.txt"):
        subprocess.run([digest_exe(), "ingest", str(data_dir / "cli" / day)], env=env, check=True, capture_output=True)
    return env


@pytest.mark.parametrize("args", [["show", "--all"], ["list", "--untagged"], ["show", "--all", "--format", "json"]])
def test_terminal_output_goes_through_the_pager(pager_env, tmp_path, args):
    code, screen, err = in_a_terminal(args, pager_env)
    assert code == 0, err
    paged = (tmp_path / "paged").read_text()
    assert (tmp_path / "less").read_text().strip() == "FRX"  # less: quit if one screen, colours, no clearing
    assert "Diffusion Policies for Dexterous Robot Manipulation" in unstyled(paged) and screen == ""
    if "json" not in args:
        assert "\x1b[" in paged  # drawn for the terminal behind the pager
    assert "Traceback" not in err


def test_several_explains_are_paged(pager_env, tmp_path):
    ids = [d["id"] for d in json.loads(subprocess.run([digest_exe(), "show", "--all", "--unmatched", "--format", "json"], env=pager_env,
                                                      capture_output=True, text=True).stdout)]
    code, _screen, err = in_a_terminal(["explain", *ids], pager_env)
    assert code == 0, err
    assert (tmp_path / "paged").read_text().count("total") == len(ids) >= 3


@pytest.mark.parametrize("how", ["--no-pager after", "--no-pager before", "PAGER=cat", "PAGER empty", "piped"])
def test_no_pager(pager_env, tmp_path, how):
    env = dict(pager_env)
    args = ["show", "--all"]
    if how == "--no-pager after":
        args.append("--no-pager")
    elif how == "--no-pager before":
        args.insert(0, "--no-pager")
    elif how == "PAGER=cat":
        env["PAGER"] = "cat"
    elif how == "PAGER empty":
        env["PAGER"] = ""
    if how == "piped":
        p = subprocess.run([digest_exe(), *args], env=env, capture_output=True, text=True)
        code, screen = p.returncode, p.stdout
    else:
        code, screen, _err = in_a_terminal(args, env)
    assert code == 0
    assert "Diffusion Policies for Dexterous" in unstyled(screen)
    assert not (tmp_path / "paged").exists()


def test_digest_pager_and_less_of_ones_own(pager_env, tmp_path):
    env = dict(pager_env, LESS="-S", DIGEST_PAGER=f"sh -c 'echo \"$LESS\" > {tmp_path}/less; cat > {tmp_path}/mine'")
    code, _screen, _err = in_a_terminal(["list", "--untagged"], env)
    assert code == 0 and (tmp_path / "mine").exists() and not (tmp_path / "paged").exists()
    assert (tmp_path / "less").read_text().strip() == "-S"  # LESS of one's own is kept


@pytest.mark.parametrize("how", ["a program found on PATH", "a path"])
def test_a_one_word_pager_runs_without_the_shell(pager_env, tmp_path, how):
    """A pager command that is one word with no shell syntax (the default: less) is started
    directly, as git does; it still gets the text and LESS."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    pager = bindir / "mypager"
    pager.write_text(f"#!/bin/sh\necho \"$LESS\" > {tmp_path}/less\ncat > {tmp_path}/paged\n")
    pager.chmod(0o755)
    env = dict(pager_env, PAGER=str(pager) if how == "a path" else "mypager",
               PATH=f"{bindir}{os.pathsep}{pager_env['PATH']}")
    code, screen, err = in_a_terminal(["show", "--all"], env)
    assert code == 0, err
    assert "Diffusion Policies for Dexterous Robot Manipulation" in unstyled((tmp_path / "paged").read_text())
    assert (tmp_path / "less").read_text().strip() == "FRX" and screen == ""


def test_quitting_the_pager_early_ends_quietly(pager_env, tmp_path, data_dir):
    from digest.ingest.diff import ingest_items
    from digest.item import Item
    from digest.store import Store

    store = Store(pager_env["DIGEST_HOME"])
    with store:
        ingest_items(store, [Item(title=f"Generated paper {i}", abstract="words " * 50) for i in range(3000)], source="gen")
    env = dict(pager_env, PAGER="head -c 100 > /dev/null")
    code, _screen, err = in_a_terminal(["list", "--untagged"], env)
    assert code == 0 and "Traceback" not in err and "Error" not in err


# --------------------------------------------------------------------------- issue 14: -v, what was read and skipped
def test_verbose_says_what_was_read_and_skipped(runner, tmp_path, day1, day2):
    pages = tmp_path / "pages"
    (pages / ".cache").mkdir(parents=True)
    (pages / "a.txt").write_bytes(open(day1, "rb").read())
    (pages / ".hidden.txt").write_text("x")
    r = run(runner, "ingest", str(pages))
    assert "read" not in r.stderr and "skipped" not in r.stderr  # quiet without -v
    size = (pages / "a.txt").stat().st_size
    for args in (["-v", "ingest", str(pages)], ["ingest", str(pages), "--verbose"]):
        lines = run(runner, *args).stderr.splitlines()
        assert f"{pages / '.cache'}: skipped (hidden)" in lines and f"{pages / '.hidden.txt'}: skipped (hidden)" in lines
        assert f"{pages / 'a.txt'}: read {size:,} bytes" in lines
        assert f"{pages / 'a.txt'}: dump (detected from the content), 3 papers" in lines
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.pages]\npath = "{pages}"\n[sources.off]\npath = "{day2}"\nenabled = false\n')
    run(runner, "--config", str(cfg), "run")
    lines = run(runner, "--config", str(cfg), "run", "-v", "--format", "json").stderr.splitlines()
    assert (f"pages: {pages / 'a.txt'}: skipped (unchanged since it was read: same size and modification time; "
            "--force reads it again)") in lines
    assert "off: skipped (enabled = false)" in lines


def test_a_pager_that_is_not_installed_is_said_and_skipped(pager_env, tmp_path):
    env = dict(pager_env, PAGER="no-such-pager-xyz -R")
    code, screen, err = in_a_terminal(["show", "--all"], env)
    assert code == 0
    assert "Warning: pager 'no-such-pager-xyz' not found (DIGEST_PAGER or PAGER); not paging" in err
    assert "Diffusion Policies for Dexterous" in unstyled(screen)


def test_quiet_says_nothing_about_a_wait(tmp_path, day1, isolated_home):
    hold = ("import sys, time\nfrom digest.store import Store\n"
            "with Store(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(5)\n")
    store = isolated_home / "store"
    p = subprocess.Popen([sys.executable, "-c", hold, str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[store]\nlock_timeout = 0.3\n[sources.a]\npath = "{day1}"\n'
                       '[email]\nfrom = "d <d@example.org>"\nto = "me@example.org"\nhost = "localhost"\n'
                       'security = "none"\n')
        r = subprocess.run([digest_exe(), "--config", str(cfg), "run", "--email", "--quiet"],
                           capture_output=True, text=True, env=dict(os.environ))
        assert r.returncode == 75
        assert [line for line in r.stderr.splitlines() if not line.startswith("Error:")] == []
    finally:
        p.kill()
        p.wait()


# --------------------------------------------------------------------------- options after the command
def test_group_options_are_accepted_after_the_command(runner, tmp_path, day1):
    """`digest show --store DIR --config CFG -v` is `digest --store DIR --config CFG -v show`: the
    late options are made when a command is first parsed (not at import), for every command."""
    store, cfg = tmp_path / "s", tmp_path / "c.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n')
    assert run(runner, "ingest", day1, "--store", str(store), "--config", str(cfg)).exit_code == 0
    before = run(runner, "--store", str(store), "--config", str(cfg), "show", "--format", "json").stdout
    after = run(runner, "show", "--format", "json", "--store", str(store), "--config", str(cfg), "-v")
    assert after.exit_code == 0 and after.stdout == before
    assert json.loads(before)[0]["title"] == "Diffusion Policies for Dexterous Robot Manipulation"
    helped = run(runner, "show", "--help").output
    assert "--store DIR" in helped and "--config PATH" in helped and "--verbose" in helped
    for name in cli.commands:  # every command takes them, once (eval's own --config compares)
        cmd = cli.commands[name]
        opts = [o for p in cmd.get_params(click.Context(cmd)) for o in getattr(p, "opts", [])]
        assert opts.count("--store") + opts.count("--config") <= 2 and len(opts) == len(set(opts)), name
        if not isinstance(cmd, click.Group):
            assert "--store" in opts and "--config" in opts, name


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_stdout_that_cannot_encode_a_title_gets_replacement_characters_not_a_traceback(tmp_path, encoding, fmt):
    """A non-UTF-8 locale (latin-1, or PYTHONIOENCODING=ascii) cannot encode "—", "…" or CJK:
    `show` died of a UnicodeEncodeError traceback half-way through the digest. What the stream
    cannot encode is replaced; the rest is the same digest."""
    papers = [{"paper": {"id": "2401.00001", "title": "Diffusion — 日本語 models…", "summary": "A diffusion “model”.",
                         "publishedAt": "2024-01-01T00:00:00Z", "authors": [{"name": "Zoë Ł"}]}}]
    src = tmp_path / "p.json"
    src.write_text(json.dumps(papers, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING=encoding)
    ingest = subprocess.run([digest_exe(), "ingest", str(src)], env=env, capture_output=True)
    assert ingest.returncode == 0, ingest.stderr
    p = subprocess.run([digest_exe(), "show", "--all", "--unmatched", "--format", fmt], env=env, capture_output=True)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr
    assert re.search(rb"Diffusion \S+ \S+ models", p.stdout), p.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["show", "--all", "--unmatched"], ["show", "--format", "json"], ["list", "--untagged"],
                                  ["config", "show"], ["--help"], ["show", "--help"], ["--version"]])
def test_a_full_disk_under_stdout_is_one_error_line_not_a_traceback(data_dir, args):
    """`digest show > file` on a full disk: the write to stdout fails with ENOSPC, which was an
    OSError traceback (and Python's "Exception ignored" at exit)."""
    assert subprocess.run([digest_exe(), "ingest", str(data_dir / "cli" / "day1.txt")], capture_output=True).returncode == 0
    with open("/dev/full", "w") as full:
        p = subprocess.run([digest_exe(), *args], stdout=full, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1
    assert p.stderr.splitlines()[-1] == "Error: cannot write the output (stdout): No space left on device", p.stderr
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr


@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_stdout_or_stderr_is_not_a_traceback_and_no_store_file_takes_its_place(data_dir, closed):
    """Run with stdout or stderr closed (`digest ... >&-`): sys.stdout was None (an AttributeError
    traceback), and the first file the store opened took descriptor 1 or 2, where anything
    writing to stdout or stderr would have written into the store."""
    day1 = str(data_dir / "cli" / "day1.txt")
    for args in (["ingest", day1], ["tag", "--help"], ["show", "--all", "--unmatched"], ["tags"]):
        p = subprocess.run([digest_exe(), *args], capture_output=True, text=True,
                           preexec_fn=lambda: os.close(closed))
        assert "Traceback" not in p.stdout + p.stderr and p.returncode == 0, (args, p.stderr)
    store = os.environ["DIGEST_HOME"]
    for name in os.listdir(store):
        if name.endswith(".jsonl"):
            for line in open(os.path.join(store, name), "rb"):
                json.loads(line)  # nothing but records


def test_an_empty_file_name_is_named_as_the_shell_writes_it(runner):
    r = runner.invoke(cli, ["parse", ""])
    assert r.exit_code == 1 and r.stderr == "Error: '': no such file\n"


# --------------------------------------------------------------------------- a day is the user's (TZ)
def _store_around_local_midnight(tmp_path, tz, hours):
    """A store with a paper first seen (and tagged, noted, revised) a minute after local midnight
    today in time zone ``tz`` (``hours`` east of UTC), and one a minute before; the env to run
    digest there, and today's local date."""
    from datetime import datetime, time, timedelta, timezone

    zone = timezone(timedelta(hours=hours))  # what TZ=XTK-14 (POSIX: 14 hours east) means
    today = datetime.now(zone).date()
    midnight = datetime.combine(today, time(), zone).astimezone(timezone.utc)

    def stamp(t):
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    store = tmp_path / "store"
    store.mkdir()
    lines, events = [], []
    for rid, title, at in (("a" * 16, "Seen today", midnight + timedelta(minutes=1)),
                           ("b" * 16, "Seen yesterday", midnight - timedelta(minutes=1))):
        lines.append(json.dumps({"v": 1, "id": rid, "title": title, "sources": ["t"], "first_seen": stamp(at),
                                 "last_seen": stamp(at), "first_run": 1, "last_run": 1, "revised_at": stamp(at),
                                 "revised_run": 1, "arxiv_id": f"2511.0000{len(lines)}", "arxiv_version": 2}))
        events.append(json.dumps({"v": 1, "at": stamp(at), "type": "tag", "id": rid, "tag": "x"}))
        events.append(json.dumps({"v": 1, "at": stamp(at), "type": "note", "id": rid, "text": title}))
    (store / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (store / "events.jsonl").write_text("\n".join(events) + "\n", encoding="utf-8")
    env = {**os.environ, "DIGEST_HOME": str(store), "TZ": tz, "PYTHONPATH": str(REPO_ROOT)}
    return env, today


def _digest_in(env, *args):
    r = subprocess.run([sys.executable, "-m", "digest", *args], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("tz, hours", [("XTK-14", 14), ("XBI+12", -12)])
def test_since_today_is_the_local_day_whatever_the_time_zone(tmp_path, tz, hours):
    """`digest show --since today` right after the morning ingest in Tokyo showed nothing: the local
    date (2026-12-02) was compared with first_seen as a string, and 07:30 in Tokyo is 22:30 UTC the
    day before. West of UTC the same compare let in papers of the day before. A date is the local
    day, from its local midnight on, for show, triage, list and export (since and --updated-since)."""
    env, _ = _store_around_local_midnight(tmp_path, tz, hours)

    def titles(*args):
        return [p["title"] for p in json.loads(_digest_in(env, *args, "--format", "json"))]

    assert titles("show", "--since", "today", "--unmatched") == ["Seen today"]
    assert titles("list", "--since", "today") == ["Seen today"]
    assert titles("list", "--updated-since", "today") == ["Seen today"]
    assert titles("export", "--since", "today") == ["Seen today"]
    assert sorted(titles("list", "--since", "yesterday")) == ["Seen today", "Seen yesterday"]


@pytest.mark.parametrize("tz, hours", [("XTK-14", 14), ("XBI+12", -12)])
def test_the_days_shown_are_local_days_as_since_counts_them(tmp_path, tz, hours):
    """What --since counts as today is shown as today: the day a paper was added and first seen,
    a note's day and the digest's heading were the UTC date (a paper tagged at 07:30 in Tokyo
    showed 'added' the day before)."""
    from datetime import timedelta

    env, today = _store_around_local_midnight(tmp_path, tz, hours)
    yesterday = today - timedelta(days=1)
    out = _digest_in(env, "list", "--sort", "added")
    first, second = out.split("\n\n")[:2]
    assert "Seen today" in first and f"added {today}" in first and f"first seen {today}" in first
    assert "Seen yesterday" in second and f"added {yesterday}" in second
    assert _digest_in(env, "note", "a" * 8) == f"{today}  Seen today\n"
    assert _digest_in(env, "note", "b" * 8) == f"{yesterday}  Seen yesterday\n"
    assert _digest_in(env, "show", "--since", "today", "--unmatched").startswith(f"Papers first seen since {today}")
