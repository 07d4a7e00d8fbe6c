"""The Textual interface of ``digest triage`` over a :class:`digest.triage.session.TriageSession`.

The only module that imports textual (``digest --help`` and every other command
never load it). Layout, top to bottom, for 80x24 and up: a heading line, the
ranked list (decision mark, rank, score, title), the detail pane of the paper
under the cursor (scrollable), a status line saying what the last key did, and
the keys. Textual handles ``NO_COLOR`` (monochrome), tmux and SSH terminals;
nothing here depends on a mouse. SIGTERM and SIGHUP end it as ``q`` does (the
terminal given back, every key already saved); :func:`run` says which signal it was.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import DataTable, Input, Static

from digest.errors import DigestError
from digest.render.triage import detail, footer, help_text, row_cells
from digest.triage.session import Outcome, TriageSession

FIXED_COLUMNS = 22  # mark, rank and score (11), one cell of padding each side of 4 columns, the scrollbar


class LastWordSuggester(Suggester):
    """Completes the last word typed from a list (tags: ``ml t`` -> ``ml toread``)."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.words = words

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        if not last:
            return None
        low = last.lower().lstrip("#")
        for w in self.words:
            if w.startswith(low) and w != low:
                return (head + " " if head else "") + w
        return None


class Prompt(ModalScreen[str | None]):
    """One line of input: Enter answers, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel"),
                                             Binding("tab", "complete", "complete", priority=True)]
    DEFAULT_CSS = """
    Prompt { align: center bottom; }
    Prompt > Vertical { height: auto; width: 100%; border: round $accent; padding: 0 1; background: $surface; }
    Prompt Static { height: auto; }
    """

    def __init__(self, title: str, hint: str = "", suggester: Suggester | None = None, value: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.suggester, self.value = title, hint, suggester, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="prompt-title")
            if self.hint:
                yield Static(self.hint, id="prompt-hint")
            yield Input(value=self.value, suggester=self.suggester, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        """Tab takes the suggestion shown (Input itself takes it with the right arrow)."""
        field = self.query_one(Input)
        field.cursor_position = len(field.value)
        field.action_cursor_right()


class Help(ModalScreen[None]):
    DEFAULT_CSS = """
    Help { align: center middle; }
    Help > VerticalScroll { width: 100%; height: 100%; border: round $accent; padding: 0 1; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(), id="help-text")

    def on_key(self, event) -> None:
        event.stop()
        self.dismiss(None)


def numbered(choices: list[str], limit: int = 6) -> str:
    shown = "  ".join(f"{i}: {c}" for i, c in enumerate(choices[:limit], 1))
    return shown + ("  …" if len(choices) > limit else "")


def graphical() -> bool:
    """Is there a browser to open on this screen (not a terminal over SSH alone)?"""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")


class TriageApp(App[None]):
    TITLE = "digest triage"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layout: vertical; }
    #heading { height: 1; background: $primary-background; text-style: bold; text-wrap: nowrap;
               text-overflow: ellipsis; }
    #papers { height: 40%; min-height: 4; }
    #detail { height: 1fr; border-top: solid $primary; padding: 0 1; }
    #status { height: 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
    #keys { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "move(1)", "down", show=False),
        Binding("k", "move(-1)", "up", show=False),
        Binding("y", "decide('keep')", "keep"),
        Binding("n", "decide('reject')", "not interested"),
        Binding("s", "decide('later')", "later"),
        Binding("t", "tags", "tag"),
        Binding("N", "note", "note"),
        Binding("m", "mute", "mute"),
        Binding("a", "follow", "follow"),
        Binding("o", "open", "open"),
        Binding("r", "read", "read"),
        Binding("u", "undo", "undo"),
        Binding("slash", "filter", "filter"),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("space", "page_detail", "page", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, session: TriageSession) -> None:
        super().__init__()
        self.session = session
        self.shown: list[int] = list(range(len(session.entries)))
        self.words = ""
        self.last: Outcome | None = None
        self.signalled: int | None = None  # SIGTERM or SIGHUP, if one ended the session
        self._signals: list[int] = []

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="heading")
        yield DataTable(id="papers", cursor_type="row", show_header=False, zebra_stripes=False)
        with VerticalScroll(id="detail"):
            yield Static(id="body")
        yield Static(id="status")
        yield Static(footer(), id="keys")

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, self.on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # no Unix signals, or not the main thread
                continue
            self._signals.append(signum)
        if not os.environ.get("TEXTUAL_HEADLESS") and sys.stdin.isatty():
            self.set_interval(1.0, self._terminal_still_there)
        self.fill_table()
        first = next((p for p, i in enumerate(self.shown) if not self.session.decision(i)), 0)
        if self.shown:
            self.table.move_cursor(row=first)
        self.show_detail()
        s = self.session
        if not s.entries:
            why = f" ({s.left_out} triaged before; digest triage --all shows them)" if s.left_out else ""
            self.set_status(f"nothing to triage{why} — q quits")
        else:
            self.set_status("? for help; every key is saved as you press it")

    def _terminal_still_there(self) -> None:
        """A terminal closed without a hangup signal (one that was never the controlling terminal,
        e.g. a pseudo-terminal a program opened and closed) answers EIO from then on, and the
        interface would spin reading it: quit as a hangup does."""
        import termios

        try:
            termios.tcgetattr(sys.stdin.fileno())
        except (termios.error, OSError, ValueError):
            self.on_signal(getattr(signal, "SIGHUP", 1))

    def on_signal(self, signum: int) -> None:
        """Quit as q does: Textual restores the terminal (alternate screen, raw mode, mouse)."""
        self.signalled = signum
        self.exit()

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals.clear()

    @property
    def table(self) -> DataTable:
        return self.query_one("#papers", DataTable)

    def title_width(self, screen_width: int | None = None) -> int:
        return max(20, (screen_width or self.size.width) - FIXED_COLUMNS)

    def fill_table(self, screen_width: int | None = None) -> None:
        """The list, its titles cut to the screen's width (``screen_width``: a new one, from a Resize
        event, before the App's own size has caught up with it)."""
        table = self.table
        table.clear(columns=True)
        width = self.title_width(screen_width)
        for key, w in (("mark", 2), ("rank", 3), ("score", 6), ("title", width)):
            table.add_column(key, key=key, width=w)
        for i in self.shown:
            table.add_row(*self.cells(i, width), key=str(i))
        self.update_heading()

    def cells(self, i: int, width: int | None = None):
        s = self.session
        if width is None:  # as wide as the list's title column is now
            column = self.table.columns.get("title")  # type: ignore[call-overload]  # a ColumnKey is its str
            width = column.width if column is not None else self.title_width()
        return row_cells(i + 1, s.entries[i], s.mark(i), s.is_read(i), width)

    def refresh_row(self, i: int) -> None:
        if i not in self.shown:
            return
        for key, cell in zip(("mark", "rank", "score", "title"), self.cells(i), strict=True):
            self.table.update_cell(str(i), key, cell)

    def update_heading(self) -> None:
        s = self.session
        text = f"{s.heading} · {s.undecided()} of {len(s.entries)} undecided"
        if s.left_out:
            text += f" · {s.left_out} triaged before"
        if self.words:
            text += f" · filter: {self.words} ({len(self.shown)})"
        self.query_one("#heading", Static).update(text)

    def current(self) -> int | None:
        if not self.shown:
            return None
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def show_detail(self) -> None:
        i = self.current()
        body = self.query_one("#body", Static)
        if i is None:
            body.update("")
            return
        s = self.session
        body.update(detail(s.entries[i], tags=s.tags(i), notes=s.notes(i), decision=s.decision(i),
                           read=s.is_read(i)))
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def on_resize(self, event) -> None:
        if self.query("#papers"):
            row = self.table.cursor_row
            self.fill_table(event.size.width)
            if self.shown:
                self.table.move_cursor(row=min(row, len(self.shown) - 1))

    # ------------------------------------------------------------------ acting
    def act(self, fn, *args, advance: bool = False) -> None:
        """Run a session action for the paper under the cursor, saving it before showing it."""
        i = self.current()
        if i is None:
            self.set_status("no paper here")
            return
        try:
            outcome = fn(i, *args)
        except DigestError as exc:
            self.set_status(f"Error: {exc} — nothing saved")
            return
        self.after(outcome, i, advance=advance)

    def after(self, outcome: Outcome, i: int | None, *, advance: bool = False) -> None:
        self.last = outcome
        self.set_status(outcome.text + (" (u undoes)" if outcome.ok and self.session.undo_stack else ""))
        if i is not None:
            self.refresh_row(i)
        self.update_heading()
        if advance and outcome.ok and i is not None:
            nxt = self.session.next_undecided(i)
            if nxt in self.shown and nxt != i:
                self.table.move_cursor(row=self.shown.index(nxt))
            elif self.shown.index(i) + 1 < len(self.shown):
                self.table.move_cursor(row=self.shown.index(i) + 1)
        self.show_detail()

    def action_move(self, step: int) -> None:
        if self.shown:
            row = max(0, min(len(self.shown) - 1, self.table.cursor_row + step))
            self.table.move_cursor(row=row)

    def action_page_detail(self) -> None:
        self.query_one("#detail", VerticalScroll).scroll_page_down(animate=False)

    def action_decide(self, decision: str) -> None:
        self.act(self.session.decide, decision, advance=True)

    def ask(self, title: str, hint: str, handler, suggester: Suggester | None = None) -> None:
        i = self.current()
        if i is None:
            self.set_status("no paper here")
            return

        def answered(value: str | None) -> None:
            if value is None or not value.strip():
                self.set_status("cancelled")
                return
            self.act(handler, value)

        self.push_screen(Prompt(title, hint, suggester), answered)

    def action_tags(self) -> None:
        tags = self.session.all_tags()
        hint = ("existing: " + " ".join(tags[:10]) + (" …" if len(tags) > 10 else "")) if tags else ""
        self.ask("Tags to add (space-separated; Tab completes)", hint, self.session.add_tags,
                 LastWordSuggester(tags))

    def action_note(self) -> None:
        self.ask("Note", "", self.session.add_note)

    def choose(self, title: str, choices_of, empty: str, handler) -> None:
        """A prompt that takes a number from the paper's choices (shown numbered) or typed text."""
        i = self.current()
        choices = choices_of(i) if i is not None else []
        self.ask(title, numbered(choices) if choices else empty, handler,
                 SuggestFromList(choices, case_sensitive=False))

    def action_mute(self) -> None:
        self.choose("Mute a term (its number, or type a term)", self.session.term_choices,
                    "this paper matched no term: type one", self.session.mute)

    def action_follow(self) -> None:
        self.choose("Follow an author (their number, or type a name)", self.session.author_choices,
                    "the source gave no author names: type one", self.session.follow)

    def action_open(self) -> None:
        i = self.current()
        if i is None:
            return
        try:
            outcome = self.session.open_link(i)
        except DigestError as exc:
            self.set_status(f"Error: {exc}")
            return
        url = outcome.url or ""
        if graphical():
            import webbrowser

            try:
                opened = webbrowser.open(url)
            except webbrowser.Error:
                opened = False
            outcome.text = ("opened " if opened else "no browser: ") + url
        else:
            self.copy_to_clipboard(url)  # OSC 52: reaches the local clipboard through SSH and tmux
            outcome.text = f"link copied: {url}"
        self.after(outcome, i)

    def action_read(self) -> None:
        self.act(self.session.toggle_read)

    def action_undo(self) -> None:
        try:
            outcome = self.session.undo()
        except DigestError as exc:
            self.set_status(f"Error: {exc} — nothing undone")
            return
        self.after(outcome, outcome.index)
        if outcome.index is not None and outcome.index in self.shown:
            self.table.move_cursor(row=self.shown.index(outcome.index))

    def action_filter(self) -> None:
        def answered(value: str | None) -> None:
            if value is None:
                return
            self.apply_filter(value.strip())

        self.push_screen(Prompt("Filter: papers with all these words (empty: all papers)", "",
                                value=self.words), answered)

    def apply_filter(self, words: str) -> None:
        self.words = words
        self.shown = self.session.filter(words) if words else list(range(len(self.session.entries)))
        self.fill_table()
        self.show_detail()
        self.set_status(f"{len(self.shown)} papers match" if words else "filter cleared")

    def action_clear_filter(self) -> None:
        if self.words:
            self.apply_filter("")

    def action_help(self) -> None:
        self.push_screen(Help())


def run(session: TriageSession) -> int | None:
    """Run the interface until the reader quits; the signal that ended it instead, if one did."""
    app = TriageApp(session)
    app.run(mouse=True)
    return app.signalled
