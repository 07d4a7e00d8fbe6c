"""The README's command reference is checked against the real CLI (as sqlite-utils does)."""

from __future__ import annotations

import ast
import re

import click
import pytest
from click.testing import CliRunner
from conftest import REPO

from digest.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def table_rows() -> list[str]:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `digest ")]


def documented() -> dict[str, set[str]]:
    """command name -> options the README mentions for it."""
    out: dict[str, set[str]] = {}
    for row in table_rows():
        for usage in re.findall(r"`digest ([^`]+)`", row):
            name = usage.split()[0]
            out.setdefault(name, set()).update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", usage))
    return out


def test_every_command_is_documented_and_every_documented_command_exists():
    names = set(cli.commands)
    docs = set(documented())
    assert docs - names == set(), "README documents commands the CLI lacks"
    assert names - docs == set(), "commands missing from the README table"


@pytest.mark.parametrize("name", sorted(documented()))
def test_documented_options_exist(name):
    cmd = cli.commands[name]
    params = cmd.get_params(click.Context(cmd))
    opts = {o for p in params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts}
    missing = documented()[name] - opts
    assert not missing, f"README mentions {missing} for `digest {name}`"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(name):
    r = CliRunner().invoke(cli, [name, "--help"])
    assert r.exit_code == 0
    assert "Usage: cli " in r.output or "Usage: digest " in r.output or "Usage:" in r.output
    assert len(r.output.strip().splitlines()) >= 3


def test_readme_set_up_commands_are_exactly_two_and_match_ci():
    block = README.split("## Set-up: two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["pip install . && digest run --demo", "pip install -e '.[test]' && pytest"]
    ci = (REPO / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]' && pytest" in ci


def completion_lines() -> list[tuple[str, str]]:
    """(shell, the line) for each shell the README's "Shell completion" documents."""
    section = README.split("### Shell completion", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^(.*_DIGEST_COMPLETE=(\w+)_source digest.*)$", section, re.M)


def test_readme_documents_completion_for_bash_zsh_and_fish():
    assert sorted(shell for _line, shell in completion_lines()) == ["bash", "fish", "zsh"]


@pytest.mark.parametrize("line, shell", completion_lines(), ids=[s for _l, s in completion_lines()])
def test_the_documented_completion_variable_gives_a_script(line, shell):
    import os
    import subprocess
    import sys

    exe = os.path.join(os.path.dirname(sys.executable), "digest")
    env = dict(os.environ, _DIGEST_COMPLETE=f"{shell}_source")
    script = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30)
    assert script.returncode == 0, script.stderr
    assert "_DIGEST_COMPLETE" in script.stdout and ("_digest_completion" in script.stdout or "complete" in script.stdout)
    if shell == "bash":  # and the script's own call completes a command and an option's choices
        env = dict(os.environ, _DIGEST_COMPLETE="bash_complete", COMP_WORDS="digest list --sort ", COMP_CWORD="3")
        got = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30).stdout.split()
        assert got == ["plain,newest", "plain,added", "plain,score", "plain,upvotes"]


def test_every_toml_block_of_the_readme_is_a_valid_config(tmp_path):
    """A key the README shows and the config refuses (renamed, dropped, mistyped) fails here."""
    from digest.app import check_sections
    from digest.config import parse_config
    from digest.mail.settings import settings_from_config

    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) >= 4
    for block in blocks:
        cfg = check_sections(parse_config(block, tmp_path / "config.toml"))
        if "email" in cfg.raw:
            settings_from_config(cfg)


def test_the_default_config_with_every_example_uncommented_is_valid(tmp_path):
    """config.toml's commented-out examples are what a user uncomments: together they must load
    (no table twice, no key the config refuses). ``model = "PATH"`` is a placeholder."""
    from digest.app import check_sections
    from digest.config import parse_config
    from digest.mail.settings import settings_from_config

    example = re.compile(r'^# (\[[a-z_.-]+\]|"[^"]*"\s*=|[a-z_]+\s*=)')
    lines = (REPO / "config.toml").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line[2:] if example.match(line) and '"PATH"' not in line else line for line in lines)
    assert text.count("\n[") > (REPO / "config.toml").read_text(encoding="utf-8").count("\n[")  # some were
    cfg = check_sections(parse_config(text, tmp_path / "config.toml"))
    settings_from_config(cfg)


def _options(cmd: click.Command) -> set[str]:
    params = cmd.get_params(click.Context(cmd))  # (with the options every command also takes after its name)
    return {o for p in params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts} | {"-h", "--help"}


def readme_usages() -> list[list[str]]:
    """Every ``digest ...`` the README writes, in prose (`code`) and in console, sh and cron
    blocks: the words after ``digest``, up to a pipe, redirection, ``&&``, ``;`` or comment."""
    spans = re.findall(r"`([^`\n]*\bdigest [^`\n]*)`", README)
    for block in re.findall(r"```(?:console|sh|cron)\n(.*?)```", README, re.S):
        spans += [line for line in block.splitlines() if re.search(r"(^|\s)digest ", line)]
    return [m.group(1).split() for s in spans
            for m in re.finditer(r"(?<![\w/-])digest((?: +[^\s|&;>#`]+)+)", s)]


def test_every_option_the_readme_writes_anywhere_exists_for_its_command():
    """Not only the command table: an option in an example or in prose, for the command it
    follows (global options before the command too), must be in that command's --help."""
    bad = set()
    usages = readme_usages()
    assert len(usages) > 50
    for words in usages:
        cmd: click.Command = cli
        path: list[str] = []
        i = 0
        while i < len(words) and isinstance(cmd, click.Group) and words[i] in cmd.commands:
            cmd, i = cmd.commands[words[i]], i + 1
            path.append(cmd.name or "")
        known = _options(cmd) | _options(cli)
        for word in words[i:]:
            for alt in word.split("=")[0].split("|"):
                alt = alt.strip("[](),.:\"'\\")
                if re.fullmatch(r"--?[a-z][a-z-]*", alt) and alt not in known:
                    bad.add(f"digest {' '.join(path)} {alt}".replace("  ", " "))
    assert not bad, f"the README writes options the CLI lacks: {sorted(bad)}"


def test_parse_help_names_every_key_parse_prints():
    from digest.item import PARSE_KEYS

    text = " ".join(CliRunner().invoke(cli, ["parse", "--help"]).output.split())
    assert "with the keys " + ", ".join(PARSE_KEYS) + "." in text


def test_every_code_fence_of_the_readme_is_a_fence_line_of_its_own():
    """A closing fence with text after it (```` ``` Without a config````) does not close the block:
    everything down to the next fence renders as code."""
    fences = [line for line in README.splitlines() if line.lstrip().startswith("```")]
    assert [f for f in fences if not re.fullmatch(r"```[a-z]*", f)] == []
    assert len(fences) % 2 == 0
    closing = fences[1::2]
    assert set(closing) == {"```"}, "a block opens where one should close"


def _readme_tables() -> dict[str, str]:
    """The README's TOML examples, table by table (every [sources.X] under "sources.NAME")."""
    out: dict[str, str] = {}
    for block in re.findall(r"```toml\n(.*?)```", README, re.S):
        for header, body in re.findall(r"^\[([\w.-]+)\][^\n]*\n(.*?)(?=^\[|\Z)", block, re.S | re.M):
            name = "sources.NAME" if header.startswith("sources.") else header
            out[name] = out.get(name, "") + body
    return out


def test_every_config_key_the_code_accepts_is_in_the_readme():
    """A key added to a table's checker (as [sources.NAME] enabled once was) must be documented:
    in that table's TOML example (``key =``, perhaps commented out), or named as `[table] key`."""
    from digest.config import SECTIONS, SOURCE_KEYS
    from digest.mail.settings import EMAIL_KEYS
    from digest.ranking.feedback import LEARNING_KEYS
    from digest.ranking.score import MATCHING_KEYS
    from digest.ranking.semantic import SEMANTIC_KEYS
    from digest.ranking.similarity import SIMILARITY_KEYS
    from digest.triage.settings import TRIAGE_KEYS

    tables = {"sources.NAME": SOURCE_KEYS, "email": EMAIL_KEYS, "learning": LEARNING_KEYS, "matching": MATCHING_KEYS,
              "similarity": SIMILARITY_KEYS, "semantic": SEMANTIC_KEYS, "triage": TRIAGE_KEYS}
    tables.update({name: keys for name, keys in SECTIONS.items() if isinstance(keys, dict)})
    examples = _readme_tables()
    missing = [f"[{table}] {key}" for table, keys in tables.items() for key in keys
               if not re.search(rf"^(# ?)?{re.escape(key)} *=", examples.get(table, ""), re.M)
               and f"[{table}] {key}" not in README and f"`{key}` key" not in README]
    assert missing == []


def test_the_memory_bounds_the_readme_promises_are_the_ones_the_stress_tests_assert():
    """"What digest guarantees" states peak RSS as about A MB + F x the input per kind:
    tests/stress/test_resources.py asserts the baseline (~20 MB) + FIXED + FACTOR x the input."""
    source = (REPO / "tests" / "stress" / "test_resources.py").read_text(encoding="utf-8")
    factor = ast.literal_eval(re.search(r"^FACTOR = (\{.*\})$", source, re.M).group(1))
    fixed = ast.literal_eval(re.search(r"^FIXED = (\{.*\})$", source, re.M).group(1))
    text = " ".join(README.split("Memory is bounded:", 1)[1].split(";", 1)[0].split())
    said = dict(zip(("dump", "feed", "hf_json"),
                    ((int(a), float(f)) for a, f in re.findall(r"(\d+) MB \+ ([\d.]+) x", text)), strict=True))
    assert said == {kind: (20 + fixed[kind], factor[kind]) for kind in factor}


def test_the_exit_codes_table_names_the_codes_digest_uses():
    from digest.errors import EXIT_BUSY, EXIT_ERROR

    section = README.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    codes = re.findall(r"^\| ([\d, ]+) \|", section, re.M)
    assert codes[:4] == ["0", str(EXIT_ERROR), "2", str(EXIT_BUSY)]  # 2: click's usage errors
