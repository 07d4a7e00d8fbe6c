"""`digest tune`: suggestions from votes, mutes and follows, and --apply keeping the config's
comments and layout byte for byte outside the changed keys."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.config import parse_config
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.readinglist import ReadingList
from digest.store import Store
from digest.tune import Suggestion, apply_to_text, suggest

CONFIG = """\
# my digest config: hand-written, keep my comments
[interests]          # what I read
"sparse" = 1.0       # pruning, sparsity
"survey" = -1.0

  # a note between tables, indented
[weights]
title = 2.0

[authors]
# nobody yet

[show]
limit = 20   # per day
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    store = Store(tmp_path / "store")
    kept = [Item(title=f"Speculative decoding for fast inference {i}", authors=["Ada Lovelace", f"Other {i}"],
                 abstract="Speculative decoding with draft models speeds up generation.") for i in range(6)]
    dull = [Item(title=f"A sparse benchmark of tabular methods {i}", authors=[f"Someone {i}"],
                 abstract="Sparse tabular leaderboard numbers, tabular again.") for i in range(12)]
    sparse_kept = [Item(title=f"Attention kernels {i}", abstract="Fast kernels.") for i in range(2)]
    with store:
        ingest_items(store, kept + dull + sparse_kept, source="t")
    cfg = tmp_path / "config.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("DIGEST_HOME", str(store.root))
    monkeypatch.setenv("DIGEST_CONFIG", str(cfg))
    events = []
    for r in store.iter_records():
        decision = "reject" if r["title"].startswith("A sparse benchmark") else "keep"
        events.append({"type": "triage", "id": r["id"], "decision": decision})
    events += [{"type": "mute", "term": "leaderboard"}, {"type": "follow", "author": "Grace Hopper"}]
    with store:
        store.append_events(events)
    return store, cfg


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def by_key(tuning):
    return {(s.section, s.key): s for s in tuning.suggestions}


def test_suggestions_say_what_the_votes_say(home):
    store, cfg = home
    tuning = suggest(parse_config(cfg.read_text(), cfg), store)
    got = by_key(tuning)
    assert tuning.votes == 20 and tuning.kept == 8
    assert got[("interests", "speculative")].kind == "interest" and got[("interests", "speculative")].new > 0
    assert got[("interests", "speculative")].why == "6 of your kept papers, 0 rejected"
    assert got[("interests", "tabular")].kind == "mute" and got[("interests", "tabular")].new < 0
    sparse = got[("interests", "sparse")]  # configured: in 0 kept papers, 12 rejected -> lower it
    assert sparse.kind == "weight" and sparse.old == 1.0 and sparse.new == 0.5
    assert got[("interests", "leaderboard")].kind == "muted in triage" and got[("interests", "leaderboard")].new == -3
    assert got[("authors", "Grace Hopper")].kind == "followed in triage"
    assert got[("authors", "Ada Lovelace")].kind == "follow"  # an author of 6 kept papers, none rejected
    assert ("authors", "Other 1") not in got  # one paper is not a pattern
    assert [s.number for s in tuning.suggestions] == list(range(1, len(tuning.suggestions) + 1))


def test_apply_keeps_everything_outside_the_changed_keys_byte_for_byte(home):
    store, cfg = home
    chosen = [Suggestion(1, "weight", "interests", "sparse", 1.0, 0.5, ""),
              Suggestion(2, "interest", "interests", "speculative decoding", None, 1.5, ""),
              Suggestion(3, "follow", "authors", "Ada Lovelace", None, 2.0, ""),
              Suggestion(4, "interest", "orgs", "Example Lab", None, 1.0, "")]
    new = apply_to_text(CONFIG, cfg, chosen)
    old_lines, new_lines = CONFIG.splitlines(keepends=True), new.splitlines(keepends=True)
    changed = [line for line in old_lines if line not in new_lines]
    assert changed == ['"sparse" = 1.0       # pruning, sparsity\n']
    assert '"sparse" = 0.5       # pruning, sparsity\n' in new_lines  # the comment kept, in its column
    added = [line for line in new_lines if line not in old_lines]
    assert added == ['"sparse" = 0.5       # pruning, sparsity\n', '"speculative decoding" = 1.5\n',
                     '"Ada Lovelace" = 2.0\n', "[orgs]\n", '"Example Lab" = 1.0\n']
    # the added keys sit right after their table's last key, before its comments and blank lines
    assert new_lines.index('"speculative decoding" = 1.5\n') == new_lines.index('"survey" = -1.0\n') + 1
    assert new_lines.index('"Ada Lovelace" = 2.0\n') == new_lines.index("# nobody yet\n") + 1
    cfg2 = parse_config(new, cfg)
    assert cfg2.interests["speculative decoding"] == 1.5 and cfg2.authors == {"Ada Lovelace": 2.0}
    assert [line for line in old_lines if line not in new_lines] == changed  # nothing else went


def test_apply_from_the_cli_shows_the_diff_then_writes_and_counts_once(home):
    store, cfg = home
    r = CliRunner().invoke(cli, ["tune", "--apply"])  # not a terminal, no --yes: nothing written
    assert r.exit_code == 1 and "add --yes" in r.stderr and cfg.read_text() == CONFIG
    assert r.stdout.startswith(f"--- {cfg}\n+++ {cfg}\n@@")
    r = run("tune", "--apply", "--yes")
    assert r.exit_code == 0 and "wrote" in r.stderr
    text = cfg.read_text()
    assert text.startswith("# my digest config: hand-written, keep my comments\n")
    assert '"leaderboard" = -3.0' in text and '"Grace Hopper" = 2.0' in text
    rl = ReadingList.load(store)
    assert rl.muted_terms() == [] and rl.followed_authors() == []  # now in the config, counted once
    again = run("tune")
    assert "nothing to suggest" in again.stderr and again.stdout == ""  # applying twice changes nothing


def test_pick_some_and_bad_numbers(home):
    store, cfg = home
    listing = run("tune").stdout.splitlines()
    first = listing[0]
    r = run("tune", "--apply", "--pick", "1", "--yes")
    assert r.exit_code == 0 and sum(1 for line in r.stdout.splitlines() if line.startswith("+")) == 2  # +++ too
    assert json.dumps(first.split("] ", 1)[1].split(" ")[0].strip('"'))[1:-1] in cfg.read_text()
    r = CliRunner().invoke(cli, ["tune", "--apply", "--pick", "99", "--yes"])
    assert r.exit_code == 1 and "no suggestion number 99" in r.stderr
    r = CliRunner().invoke(cli, ["tune", "--pick", "1"])
    assert r.exit_code == 2


def test_with_the_built_in_default_tune_writes_the_users_config(tmp_path, monkeypatch, home):
    store, _ = home
    monkeypatch.delenv("DIGEST_CONFIG")
    target = store.root / "config.toml"  # $DIGEST_HOME/config.toml
    assert not target.exists()
    r = run("tune", "--apply", "--yes")
    assert r.exit_code == 0 and target.exists()
    assert target.read_text().startswith("# digest configuration.")  # the documented default, kept


def test_one_vote_suggests_nothing_but_its_mutes(tmp_path, monkeypatch):
    store = Store(tmp_path / "store")
    with store:
        ingest_items(store, [Item(title="One lonely paper", abstract="About speculative decoding.")], source="t")
        store.append_events([{"type": "triage", "id": next(store.iter_records())["id"], "decision": "keep"}])
    cfg = tmp_path / "c.toml"
    cfg.write_text("[interests]\n")
    tuning = suggest(parse_config(cfg.read_text(), cfg), store)
    assert tuning.votes == 1 and tuning.suggestions == []
