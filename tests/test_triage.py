"""`digest triage`: the session's actions and undo, and the Textual interface driven by its own
headless pilot (``App.run_test``): keys pressed, events written, what the screen shows."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from click.testing import CliRunner

from digest import app as appmod
from digest.cli import cli
from digest.readinglist import ReadingList
from digest.store import Store

pytest.importorskip("textual")

DIFFUSION = "Diffusion Policies for Dexterous Robot Manipulation"
SURVEY = "A Survey of Tabular Benchmarks"


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def day(data_dir, tmp_path):
    """day1 ingested (the latest ingest), a config with interests that match it."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n"robot*" = 1.0\n"benchmark*" = 1.0\n"survey" = 1.0\n'
                   '"language model*" = 1.0\n', encoding="utf-8")
    os.environ["DIGEST_CONFIG"] = str(cfg)
    assert run("ingest", str(data_dir / "cli" / "day1.txt"), "--date", "2025-11-20").exit_code == 0
    yield cfg
    os.environ.pop("DIGEST_CONFIG", None)


def events() -> list[dict]:
    path = Store(appmod.paths.store_dir()).events_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kinds(evs: list[dict]) -> list[tuple]:
    return [(e["type"], e.get("decision") or e.get("tag") or e.get("term") or e.get("author") or e.get("text"))
            for e in evs]


def session(**kw):
    return appmod.triage(appmod.Context(), **kw)


# --------------------------------------------------------------------------- the session
def test_session_ranks_the_latest_ingest_and_each_action_is_written_at_once(day):
    s = session()
    titles = [e.record["title"] for e in s.entries]
    assert titles[0] == DIFFUSION and len(titles) == 3
    assert s.decide(0, "keep").ok
    assert kinds(events()) == [("triage", "keep"), ("tag", "toread")]
    s.decide(1, "reject")
    s.decide(2, "later")
    assert kinds(events())[2:] == [("triage", "reject"), ("triage", "later")]
    rl = ReadingList.load(s.store)  # what another process sees now
    assert rl.decision_of(s.id_of(0)) == "keep" and rl.tags_of(s.id_of(0)) == ["toread"]
    assert rl.decision_of(s.id_of(1)) == "reject" and rl.decision_of(s.id_of(2)) == "later"


def test_undo_writes_the_inverse_events_in_turn(day):
    s = session()
    s.decide(0, "later")
    s.decide(0, "keep")  # a second decision on the same paper
    assert s.undo().ok  # back to "later", and the toread tag taken off again
    rl = ReadingList.load(s.store)
    assert rl.decision_of(s.id_of(0)) == "later" and rl.tags_of(s.id_of(0)) == []
    assert s.undo().ok
    assert ReadingList.load(s.store).decision_of(s.id_of(0)) == ""
    assert not s.undo().ok  # nothing left
    assert kinds(events())[-3:] == [("untag", "toread"), ("triage", "later"), ("untriage", None)]


def test_triaged_papers_do_not_come_back_but_later_ones_do(day):
    s = session()
    s.decide(0, "keep")
    s.decide(1, "reject")
    s.decide(2, "later")
    again = session()
    assert [e.record["id"] for e in again.entries] == [s.id_of(2)]
    assert again.left_out == 2
    assert len(session(mode="all").entries) == 3  # --all shows everything


def test_tags_notes_mute_follow_and_read(day):
    s = session()
    assert s.add_tags(0, "ml #Project:RL ml").text.endswith("tagged #ml #project:rl")
    assert s.add_note(0, "compare with LoRA").ok
    choices = s.term_choices(0)
    assert choices[0] == "diffusion"
    assert s.mute(0, "1").text.endswith("muted 'diffusion'")
    assert not s.mute(0, "Diffusion").ok  # already muted (case and spacing do not matter)
    assert s.follow(0, "Jane Doe").ok
    assert s.toggle_read(0).text.endswith("marked read")
    rl = ReadingList.load(s.store)
    assert rl.tags_of(s.id_of(0)) == ["ml", "project:rl"]
    assert [n.text for n in rl.notes_of(s.id_of(0))] == ["compare with LoRA"]
    assert [t for t, _ in rl.muted_terms()] == ["diffusion"]
    assert [a for a, _ in rl.followed_authors()] == ["Jane Doe"]
    assert rl.is_read(s.id_of(0))
    for _ in range(6):
        s.undo()
    rl = ReadingList.load(s.store)
    assert rl.tags_of(s.id_of(0)) == [] and rl.notes_of(s.id_of(0)) == [] and not rl.muted_terms()


def test_a_number_out_of_range_is_an_error_not_a_guess(day):
    s = session()
    with pytest.raises(appmod.DigestError, match="no choice 9"):
        s.mute(0, "9")
    assert events() == []


def test_mute_and_follow_change_the_ranking_and_explain_says_so(day):
    before = {e.record["title"]: e.score for e in session().entries}
    s = session()
    s.mute(0, "dexterous")  # not in [interests] (a configured term wins over the same term muted)
    after = {e.record["title"]: e for e in session().entries}
    assert after[DIFFUSION].score < before[DIFFUSION]
    muted = [m for m in after[DIFFUSION].matches if m.detail == "muted in triage"]
    assert muted and muted[0].weight < 0


def test_two_sessions_on_one_store_each_act_on_what_the_other_wrote(day):
    """Two triage sessions at once (two terminals), or a `digest tag` while one runs: each key is
    decided on the store as it is when the key is pressed, under the lock, not as it was when the
    session started, so an undo puts back what the other one had written, not what was there
    before it."""
    one, two = session(), session()
    assert one.decide(0, "keep").ok
    assert two.decide(0, "reject").ok
    assert two.undo().ok  # back to the other session's keep, not to undecided
    rl = ReadingList.load(one.store)
    assert rl.decision_of(one.id_of(0)) == "keep" and rl.tags_of(one.id_of(0)) == ["toread"]
    assert one.add_tags(1, "ml").ok
    again = two.add_tags(1, "ml")  # already there: nothing to write, nothing for u to take back
    assert not again.ok and again.text == "already tagged"
    assert two.undo().text == "nothing to undo"
    assert ReadingList.load(one.store).tags_of(one.id_of(1)) == ["ml"]
    assert run("read", one.id_of(2)).exit_code == 0  # another command, meanwhile
    assert two.toggle_read(2).text.endswith("marked unread")  # r toggles what the store says now
    assert ReadingList.load(one.store).is_read(one.id_of(2)) is False


def test_busy_store_records_nothing_and_says_so(day):
    from digest.store.files import FileLock

    s = session()
    s.store.lock_timeout = 0.1
    lock = FileLock(s.store.root / "lock", 1)
    lock.acquire()
    try:
        with pytest.raises(appmod.DigestError, match="busy"):
            s.decide(0, "keep")
    finally:
        lock.release()
    assert events() == [] and s.undo_stack == []


# --------------------------------------------------------------------------- the interface
def screen_text(app) -> str:
    """The screen as text, line by line (what a terminal of this size shows)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)


def drive(keys: list[str], *, size=(80, 24), check=None, **kw) -> tuple:
    """Run the app headless, press ``keys`` (a list item may be text to type), return the app."""
    from digest.triage.ui import TriageApp

    s = session(**kw)
    app = TriageApp(s)
    seen = {}

    async def go():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            seen["start"] = screen_text(app)
            for k in keys:
                await pilot.press(*([k] if len(k) == 1 or k in ("enter", "escape", "tab", "down", "up",
                                                                 "question_mark", "slash") else list(k)))
                await pilot.pause()
            seen["end"] = screen_text(app)
            if check:
                check(app, pilot)
            await pilot.press("q")
            await pilot.pause()

    asyncio.run(go())
    return s, seen


def test_pilot_keys_write_events_and_the_screen_shows_them(day):
    s, seen = drive(["y", "n", "s"])
    start = seen["start"]
    assert "New papers" in start and "3 of 3 undecided" in start
    assert DIFFUSION in start  # in the list and in the detail pane
    assert "y keep n no s later" in start.splitlines()[-1]
    assert kinds(events()) == [("triage", "keep"), ("tag", "toread"), ("triage", "reject"), ("triage", "later")]
    rows = seen["end"].splitlines()[1:4]
    assert rows[0].lstrip().startswith("y") and rows[1].lstrip().startswith("n") and rows[2].lstrip().startswith("s")
    assert "0 of 3 undecided" in seen["end"]
    assert "decide later" in seen["end"]  # the status line says what the last key did


def test_pilot_fits_80x24(day):
    _, seen = drive([])
    lines = seen["start"].splitlines()
    assert len(lines) == 24 and max(len(line) for line in lines) <= 80
    assert "matched" not in lines[0]
    assert any("diffusion" in line and "title" in line for line in lines) or "Diffusion" in seen["start"]


def test_pilot_resize_widens_the_titles(day):
    """A terminal made wider while triaging gives the titles the room (the App's own size is not
    yet the new one when its Resize arrives: the event's is)."""
    from digest.triage.ui import FIXED_COLUMNS, TriageApp

    app = TriageApp(session())
    seen = {}

    async def go():
        async with app.run_test(size=(60, 20)) as pilot:
            await pilot.pause()
            seen["narrow"] = screen_text(app).splitlines()[1]
            await pilot.resize_terminal(200, 60)
            await pilot.pause()
            seen["wide"] = screen_text(app).splitlines()[1]
            seen["width"] = app.table.columns["title"].width
            await pilot.press("y")
            await pilot.pause()
            await pilot.resize_terminal(20, 6)  # and narrower than it is meant for: no crash
            await pilot.pause()
            await pilot.press("q")

    asyncio.run(go())
    assert DIFFUSION not in seen["narrow"] and DIFFUSION in seen["wide"]
    assert seen["width"] == 200 - FIXED_COLUMNS
    assert kinds(events()) == [("triage", "keep"), ("tag", "toread")]


def test_pilot_tag_with_completion_note_and_undo(day):
    s, seen = drive(["t", "pr", "enter"])  # no tag yet to complete: typed as is
    assert kinds(events()) == [("tag", "pr")]
    s, seen = drive(["t", "p", "tab", "enter"])  # Tab completes the existing tag "pr"
    assert kinds(events())[-1:] == [("tag", "pr")] or kinds(events()) == [("tag", "pr")]
    s, seen = drive(["N", "worth a look", "enter", "u"])
    assert kinds(events())[-2:] == [("note", "worth a look"), ("unnote", "worth a look")]
    assert "undone: note added" in seen["end"]


def test_pilot_tab_completes_the_last_word(day):
    s = session()
    s.add_tags(1, "project:rl")  # an existing tag, on another paper
    _, seen = drive(["t", "ml pro", "tab", "enter"])
    assert kinds(events())[-2:] == [("tag", "ml"), ("tag", "project:rl")]


def test_pilot_mute_follow_and_filter(day):
    def check(app, pilot):
        assert len(app.shown) == 1  # the filter left one paper

    _, seen = drive(["m", "1", "enter", "a", "Jane Doe", "enter", "slash", "tabular", "enter"], check=check)
    assert kinds(events()) == [("mute", "diffusion"), ("follow", "Jane Doe")]
    assert "filter: tabular (1)" in seen["end"] and SURVEY in seen["end"]


def test_pilot_escape_cancels_a_prompt(day):
    _, seen = drive(["m", "escape", "t", "escape"])
    assert events() == [] and "cancelled" in seen["end"]


def test_pilot_help_lists_every_key(day):
    _, seen = drive(["question_mark"])
    for key in ("keep", "not interested", "decide later", "add tags", "note", "mute", "follow",
                "open", "undo", "filter", "quit"):
        assert key in seen["end"]


def test_pilot_open_copies_the_link_without_a_display(day, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    _, seen = drive(["o"])
    assert "link copied: https://" in seen["end"]
    assert kinds(events()) == [("read", None)]


def test_pilot_nothing_to_triage(day):
    s = session()
    for i in range(len(s.entries)):
        s.decide(i, "reject")
    _, seen = drive(["y"])
    assert "nothing to triage (3 triaged before" in seen["start"]
    assert len(events()) == 3  # y on an empty list wrote nothing


def test_pilot_no_color(day, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    colours = set()

    def check(app, pilot):
        assert app.no_color  # Textual's monochrome filter is on
        for strip in app.screen._compositor.render_strips():
            for seg in strip:
                if seg.style is not None and seg.style.color is not None:
                    colours.add(seg.style.color.triplet and tuple(seg.style.color.triplet))

    _, seen = drive(["y"], check=check)
    assert kinds(events())[:1] == [("triage", "keep")]
    assert all(c is None or c[0] == c[1] == c[2] for c in colours)  # greys only


# --------------------------------------------------------------------------- the command
def test_triage_refuses_without_a_terminal(day):
    r = CliRunner().invoke(cli, ["triage"])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: triage needs a terminal") and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("since", ["2025-01-01", "today", "yesterday", "7d", "2w"])
def test_triage_since_takes_every_date_since_takes_elsewhere(day, since):
    """--since DATE is the same everywhere (README: YYYY-MM-DD, today, yesterday, 7d, 2w): the
    option parses, and the command goes on to its terminal check."""
    r = CliRunner().invoke(cli, ["triage", "--since", since])
    assert r.exit_code == 1 and r.stderr.startswith("Error: triage needs a terminal"), r.stderr
    r = CliRunner().invoke(cli, ["triage", "--since", "last tuesday"])
    assert r.exit_code == 2 and "--since" in r.stderr


def test_triage_options_exclude_each_other(day):
    r = CliRunner().invoke(cli, ["triage", "--all", "--since", "2025-01-01"])
    assert r.exit_code == 2 and "exclude each other" in r.stderr


def test_list_untriaged_and_read_state(day):
    s = session()
    s.decide(0, "keep")
    s.decide(1, "later")
    s.toggle_read(0)
    out = json.loads(run("list", "--untriaged", "--format", "json").stdout)
    assert sorted(e["title"] for e in out) == sorted(e.record["title"] for e in s.entries[1:])
    assert {e["decision"] for e in out} == {"later", None}
    out = json.loads(run("list", "--tag", "toread", "--read", "--format", "json").stdout)
    assert [e["title"] for e in out] == [DIFFUSION] and out[0]["read"] is True
    assert json.loads(run("list", "--tag", "toread", "--unread", "--format", "json").stdout) == []
    r = run("unread", s.id_of(0)[:8])
    assert "marked unread" in r.stderr
    assert len(json.loads(run("list", "--unread", "--format", "json").stdout)) == 1


def test_mute_and_follow_commands_list_add_and_remove(day):
    assert "no muted terms" in run("mute").stderr
    r = run("mute", "survey", "tabular benchmark*")
    assert "muted 'survey'" in r.stderr
    assert [line.split("  ", 1)[1] for line in run("mute").stdout.splitlines()] == ["survey", "tabular benchmark*"]
    assert "unmuted 'survey'" in run("unmute", "SURVEY").stderr
    assert run("mute").stdout.count("\n") == 1
    assert "following Ada Lovelace" in run("follow", "Ada Lovelace").stderr
    assert "Ada Lovelace" in run("follow").stdout
    assert "stopped following" in run("unfollow", "ada lovelace").stderr
    r = CliRunner().invoke(cli, ["mute", "..."])
    assert r.exit_code == 1 and r.stderr.startswith("Error: a mute term needs a word")


def test_detail_pane_marks_wanted_and_mute_terms_apart():
    from digest.ranking.score import Scorer
    from digest.render.triage import MUTED, WANTED, detail

    scorer = Scorer({"diffusion": 2.0}, muted={"survey": -3.0})
    s = scorer.score({"id": "a" * 16, "title": "A survey of diffusion models", "abstract": "Diffusion models."})
    text = detail(s, tags=["toread"], notes=["check"], decision="keep", read=True)
    styles: dict = {}
    for sp in text.spans:  # the first span of each text: the title and abstract come first
        styles.setdefault(text.plain[sp.start:sp.end], sp.style)
    assert styles["survey"] == MUTED and styles["diffusion"] == WANTED and styles["Diffusion"] == WANTED
    assert "muted in triage" in text.plain and "kept, read" in text.plain and "#toread" in text.plain
    assert "note: check" in text.plain
