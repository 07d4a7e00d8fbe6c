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


def test_apply_through_a_symlinked_config_writes_its_target_and_keeps_the_link_and_mode(home, tmp_path, monkeypatch):
    """A config kept in a dotfiles folder and linked into place: --apply renamed its new text
    over the link, so the link became a private (0600) copy and the dotfiles stayed as before."""
    import os
    import stat

    _store, cfg = home
    real = tmp_path / "dotfiles" / "digest.toml"
    real.parent.mkdir()
    cfg.rename(real)
    real.chmod(0o644)
    cfg.symlink_to(real)
    r = run("tune", "--apply", "--yes")
    assert r.exit_code == 0 and "wrote" in r.stderr
    assert cfg.is_symlink() and os.readlink(cfg) == str(real)
    assert '"leaderboard" = -3.0' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644


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


# --------------------------------------------------------------------------- the eval figure (issue 12 §3)
@pytest.fixture
def two_days(tmp_path, monkeypatch):
    """Two ingest runs of 8 papers: 3 kept (speculative decoding) and 5 rejected (sparse tabular
    benchmarks, which the config's "sparse" term puts first); the day's top is 3."""
    store = Store(tmp_path / "store")
    for day in range(2):
        kept = [Item(title=f"Speculative decoding with draft models {day} {i}",
                     abstract="Speculative decoding speeds up generation.") for i in range(3)]
        dull = [Item(title=f"A sparse tabular benchmark {day} {i}", abstract="Tabular numbers, tabular again.")
                for i in range(5)]
        with store:
            ingest_items(store, kept + dull, source=f"day{day}")
    cfg = tmp_path / "config.toml"
    cfg.write_text('[interests]\n"sparse" = 1.0\n\n[show]\nlimit = 3\n', encoding="utf-8")
    monkeypatch.setenv("DIGEST_HOME", str(store.root))
    monkeypatch.setenv("DIGEST_CONFIG", str(cfg))
    with store:
        store.append_events([{"type": "triage", "id": r["id"],
                              "decision": "keep" if r["title"].startswith("Speculative") else "reject"}
                             for r in store.iter_records()])
    return store, cfg


def test_each_suggestion_carries_the_eval_figure_before_and_after_on_the_votes(two_days):
    store, cfg = two_days
    tuning = suggest(parse_config(cfg.read_text(), cfg), store)
    base = tuning.baseline
    assert base is not None and (base.runs, base.scored, base.top) == (2, 16, 3)
    assert (base.kept, base.rejected) == (6, 10)
    assert (base.kept_in_top, base.rejected_in_top) == (0, 6)  # "sparse" puts the rejected papers first
    got = by_key(tuning)
    spec = got[("interests", "speculative")].replay  # the new interest lifts every kept paper into the top
    assert spec is not None and (spec.kept_in_top, spec.rejected_in_top) == (6, 0)
    tabular = got[("interests", "tabular")].replay  # the new mute term sinks the rejected ones
    assert tabular is not None and tabular.rejected_in_top < base.rejected_in_top
    assert all(s.replay is not None and s.replay.kept == 6 for s in tuning.suggestions)
    assert got[("interests", "speculative")].effect(base) == "kept 0 -> 6 of 6, rejected 6 -> 0 of 10 in the day's top 3"


def test_tune_prints_the_eval_figure_of_each_change(two_days):
    r = run("tune")
    assert r.exit_code == 0
    assert "your votes replayed (2 ingest runs, 16 papers ranked): 0 of 6 kept and 6 of 10 rejected papers " \
           "in their day's top 3 now" in r.stderr
    line = next(x for x in r.stdout.splitlines() if '"speculative"' in x)
    assert line.endswith("; eval: kept 0 -> 6 of 6, rejected 6 -> 0 of 10 in the day's top 3")


def test_the_replay_ranks_each_run_by_the_config_with_the_change_written_in(two_days):
    """The replay unit: the same pools ranked under two scorers give the counts by hand."""
    from digest.ranking.evaluate import replay_votes, vote_pools
    from digest.ranking.rank import scorer_for

    store, cfg = two_days
    votes = {r["id"]: (1 if r["title"].startswith("Speculative") else -1) for r in store.iter_records()}
    pools = vote_pools(store, votes)
    assert [len(p) for p in pools.runs] == [8, 8]
    plain = replay_votes(pools, scorer_for(parse_config(cfg.read_text(), cfg), store), 3, -1e9)
    assert (plain.kept_in_top, plain.rejected_in_top) == (0, 6)
    flipped = parse_config('[interests]\n"sparse" = -1.0\n', cfg)
    after = replay_votes(pools, scorer_for(flipped, store), 3, -1e9)
    assert (after.kept_in_top, after.rejected_in_top) == (6, 0)
    assert replay_votes(pools, scorer_for(flipped, store), 3, 0.5).kept_in_top == 0  # below min_score
    only_kept = vote_pools(store, {i: v for i, v in votes.items() if v > 0})
    assert replay_votes(only_kept, scorer_for(flipped, store), 3, -1e9).rejected == 0


def test_the_fast_replay_equals_ranking_every_paper_under_the_changed_config(tmp_path, monkeypatch):
    """Only the papers a change touches are scored again, and a new term's damping is counted
    apart; the figures must be those of a full replay under the config as --apply writes it
    (here with damping at work: 90 papers, "models" in most of them, "sparse" in a third)."""
    from digest.ranking.evaluate import replay_votes, vote_pools
    from digest.ranking.rank import scorer_for
    from digest.tune import apply_to_text

    store = Store(tmp_path / "store")
    for day in range(3):
        items = []
        for i in range(30):
            kind = i % 3
            title = [f"Speculative decoding for language models {day} {i}", f"Sparse tabular models {day} {i}",
                     f"Graph models of proteins {day} {i}"][kind]
            items.append(Item(title=title, authors=["Ada Lovelace" if kind == 0 and i % 2 else f"Someone {i}"],
                              abstract="We study models. " + ["Drafts speed decoding.", "Sparse tabular data.",
                                                               "Protein graphs."][kind]))
        with store:
            ingest_items(store, items, source=f"day{day}")
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text('[interests]\n"models" = 1.0\n"sparse" = 1.0\n\n[show]\nlimit = 5\n', encoding="utf-8")
    monkeypatch.setenv("DIGEST_HOME", str(store.root))
    events = []
    for r in store.iter_records():
        if r["title"].startswith("Speculative"):
            events.append({"type": "triage", "id": r["id"], "decision": "keep"})
        elif r["title"].startswith("Sparse"):
            events.append({"type": "triage", "id": r["id"], "decision": "reject"})
    events.append({"type": "mute", "term": "tabular"})
    with store:
        store.append_events(events)
    cfg = parse_config(cfg_path.read_text(), cfg_path)
    tuning = suggest(cfg, store)
    kinds = {s.kind for s in tuning.suggestions}
    assert {"interest", "mute", "weight", "muted in triage", "follow"} <= kinds
    base_scorer = scorer_for(cfg, store)
    assert any(d < 1 for d in base_scorer.damping[:base_scorer.n_config])  # "models" is damped
    votes = ReadingList.load(store).feedback(["toread"]).votes
    pools = vote_pools(store, votes)
    from digest.ranking.feedback import Feedback

    for s in tuning.suggestions:
        changed = parse_config(apply_to_text(cfg_path.read_text(), cfg_path, [s]), cfg_path)
        muted = () if s.kind == "muted in triage" else ("tabular",)
        full = replay_votes(pools, scorer_for(changed, store, {}, Feedback(muted=muted)), cfg.limit, cfg.min_score)
        assert s.replay == full, s.line()
    assert any(s.replay != tuning.baseline for s in tuning.suggestions)  # some change moves the figure


def test_with_semantic_on_every_paper_is_replayed_under_the_changed_terms(tmp_path, monkeypatch):
    """[semantic] compares every paper with the configured terms, so a change of one term moves
    papers that do not contain it: the replay then scores every paper again, and its figures are
    those of a full replay (default model of the extra; 60 papers, enough for the background)."""
    from digest.ranking.evaluate import replay_votes, vote_pools
    from digest.ranking.feedback import Feedback
    from digest.ranking.rank import scorer_for
    from digest.tune import apply_to_text

    store = Store(tmp_path / "store")
    topics = ["Speculative decoding drafts tokens for faster generation of language models",
              "Protein structure prediction with graph neural networks",
              "Robot arms learn grasping by trial and error in simulation",
              "Sparse tabular benchmarks of gradient boosted trees"]
    for day in range(3):
        items = [Item(title=f"{topics[i % 4].split(' ')[0]} study {day} {i}", abstract=topics[i % 4] + f". Case {i}.")
                 for i in range(20)]
        with store:
            ingest_items(store, items, source=f"day{day}")
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text('[interests]\n"decoding" = 1.0\n"tabular" = 1.0\n\n[show]\nlimit = 5\n\n'
                        '[semantic]\nweight = 3.0\n', encoding="utf-8")
    monkeypatch.setenv("DIGEST_HOME", str(store.root))
    events = [{"type": "triage", "id": r["id"], "decision": "keep" if "Robot" in r["abstract"] else "reject"}
              for r in store.iter_records() if "Robot" in r["abstract"] or "tabular" in r["abstract"]]
    with store:
        store.append_events(events)
    cfg = parse_config(cfg_path.read_text(), cfg_path)
    tuning = suggest(cfg, store)
    assert tuning.suggestions
    votes = ReadingList.load(store).feedback(["toread"]).votes
    pools = vote_pools(store, votes)
    for s in tuning.suggestions:
        changed = parse_config(apply_to_text(cfg_path.read_text(), cfg_path, [s]), cfg_path)
        full = replay_votes(pools, scorer_for(changed, store, {}, Feedback()), cfg.limit, cfg.min_score)
        assert s.replay == full, s.line()


def test_a_new_word_is_added_beside_a_prefix_term_never_written_over_it(tmp_path):
    """``llm*`` (a prefix term) and ``llm`` (a word) are two terms: a suggestion to add ``llm``
    must add it, not change the weight of ``llm*`` (both fold to the same name_key)."""
    from digest.tune import with_change

    text = '[interests]\n"llm*" = 1.5   # mine\n"retrieval" = 1.0\n'
    path = tmp_path / "config.toml"
    s = Suggestion(1, "interest", "interests", "llm", None, 0.9, "")
    new = apply_to_text(text, path, [s])
    assert '"llm*" = 1.5   # mine\n' in new and '"llm" = 0.9\n' in new
    cfg = parse_config(new, path)
    assert cfg.interests == {"llm*": 1.5, "retrieval": 1.0, "llm": 0.9}
    assert with_change(parse_config(text, path), s).interests == cfg.interests  # what the replay ranks
    # and the other way round: a prefix term is not the word
    s = Suggestion(1, "interest", "interests", "retrieval*", None, 0.5, "")
    assert parse_config(apply_to_text(text, path, [s]), path).interests["retrieval"] == 1.0
    # a weight change still finds its key, however it is spelled
    s = Suggestion(1, "weight", "interests", "LLM*", 1.5, 2.0, "")
    assert parse_config(apply_to_text(text, path, [s]), path).interests == {"llm*": 2.0, "retrieval": 1.0}


def test_one_ingest_run_is_one_run_in_the_replay_line(home):
    r = run("tune")
    assert "your votes replayed (1 ingest run, " in r.stderr
    r = run("tune", "--apply", "--pick", "1", "--yes")
    assert r.stderr.strip().endswith("wrote 1 change to " + str(home[1]))


@pytest.mark.parametrize("text", [
    'interests.sparse = 1.0   # mine\ninterests.survey = -1.0\n',  # dotted keys: tomlkit's out-of-order proxy
    'interests.sparse = 1.0   # mine\n',  # one dotted key: a super table
    'interests.sparse = 1.0   # mine\n\n[show]\nlimit = 5\n',
    '[interests]\n"sparse" = 1.0   # mine\n[show]\nlimit = 5\n[interests.more]\n',  # a table split in two
])
def test_apply_to_a_config_written_with_dotted_keys_changes_and_adds_keys_in_place(tmp_path, text):
    """``interests.sparse = 1.0`` is the same TOML as an [interests] table: --apply raised
    AttributeError ('OutOfOrderTableProxy' object has no attribute 'add'), a traceback."""
    path = tmp_path / "config.toml"
    if "[interests.more]" in text:  # (not a valid config, but valid TOML: the edit must not crash)
        new = apply_to_text(text, path, [Suggestion(1, "interest", "interests", "new term", None, 0.5, "")])
        assert '"new term" = 0.5' in new
        return
    chosen = [Suggestion(1, "weight", "interests", "sparse", 1.0, 0.5, ""),
              Suggestion(2, "interest", "interests", "speculative decoding", None, 1.5, ""),
              Suggestion(3, "follow", "authors", "Ada Lovelace", None, 2.0, "")]
    new = apply_to_text(text, path, chosen)
    cfg = parse_config(new, path)
    assert cfg.interests["sparse"] == 0.5 and cfg.interests["speculative decoding"] == 1.5
    assert cfg.authors == {"Ada Lovelace": 2.0}
    assert "0.5   # mine\n" in new  # the comment kept in its column
    assert set(parse_config(text, path).interests) <= set(cfg.interests)


def test_apply_from_the_cli_to_a_dotted_keys_config(home):
    store, cfg = home
    cfg.write_text('interests.sparse = 1.0\ninterests.survey = -1.0\n', encoding="utf-8")
    r = CliRunner().invoke(cli, ["tune", "--apply", "--yes"])
    assert r.exit_code == 0, r.output
    assert parse_config(cfg.read_text(), cfg).interests["sparse"] == 0.5


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_apply_keeps_a_windows_configs_line_endings_and_byte_order_mark(home, bom):
    """A config saved on Windows (CRLF line endings, perhaps a byte order mark): --apply wrote it
    back with LF endings and without the mark, so every line changed (a whole-file `git diff`).
    Now the lines it does not change stay byte for byte, and the added ones end in CRLF too."""
    store, cfg = home
    original = bom + CONFIG.replace("\n", "\r\n").encode("utf-8")
    cfg.write_bytes(original)
    r = CliRunner().invoke(cli, ["tune", "--apply", "--yes"])
    assert r.exit_code == 0, r.output
    new = cfg.read_bytes()
    assert new.startswith(bom + b"# my digest config: hand-written, keep my comments\r\n")
    assert new.count(b"\n") == new.count(b"\r\n")  # every line ends in CRLF, added ones too
    old_lines, new_lines = original.splitlines(keepends=True), new.splitlines(keepends=True)
    assert [line for line in old_lines[1:] if line not in new_lines] == [b'"sparse" = 1.0       # pruning, sparsity\r\n']
    assert b'"leaderboard" = -3.0\r\n' in new_lines
