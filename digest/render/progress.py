"""Feedback on long work, on stderr (the command line's :class:`digest.feedback.Feedback`).

- a rich progress bar, only when stderr is a terminal and only for work that has lasted about
  a second (an everyday ingest never shows one), gone when the work is done;
- what the command waits for (``waiting for another digest (pid N) …``), always;
- with ``-v``, what was read, skipped and why.

rich is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from digest.feedback import Feedback
from digest.text import clean

SHOW_AFTER = 1.0  # seconds a piece of work runs before its bar appears


class StderrFeedback(Feedback):
    def __init__(self, *, verbose: bool = False, bars: bool | None = None, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet  # --quiet: no word about waits (only warnings and errors)
        self.bars = sys.stderr.isatty() if bars is None else bars
        self._started: dict[str, float] = {}  # label -> when its work began
        self._tasks: dict[str, Any] = {}  # label -> rich task id
        self._progress: Any = None

    # ------------------------------------------------------------------ lines
    def _line(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def log(self, message: str) -> None:
        if self.verbose:
            self._line(clean(message))

    def waiting(self, what: str) -> None:
        if not self.quiet:
            self._line(clean(what))

    # ------------------------------------------------------------------ bars
    def progress(self, label: str, done: int, total: int | None = None) -> None:
        if not self.bars:
            return
        now = time.monotonic()
        began = self._started.setdefault(label, now)
        task = self._tasks.get(label)
        if task is None:
            if now - began < SHOW_AFTER or (total is not None and done >= total):
                return
            task = self._tasks[label] = self._bar().add_task(clean(label), total=total)
        self._progress.update(task, completed=done, total=total)

    def _bar(self):
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._progress.start()
        return self._progress

    def finished(self, label: str) -> None:
        self._started.pop(label, None)
        task = self._tasks.pop(label, None)
        if task is not None:
            self._progress.remove_task(task)
        if self._progress is not None and not self._tasks:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        for label in list(self._tasks):
            self.finished(label)
