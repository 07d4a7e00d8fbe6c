"""How the core tells the user about long work, without printing (core modules never print).

Commands pass a :class:`Feedback` down to the work that may take long or wait; the core calls
it, and the command line's implementation (:mod:`digest.render.progress`) draws a progress bar
on stderr in a terminal, says what it waits for, and with ``-v`` what was read and skipped.
This base class does nothing: the default for every caller that passes none.
"""

from __future__ import annotations


class Feedback:
    def log(self, message: str) -> None:
        """What was read, skipped and why (shown with -v/--verbose)."""

    def progress(self, label: str, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` steps of the work named ``label`` (papers diffed, records scored,
        bytes indexed). Called often: it must be cheap."""

    def finished(self, label: str) -> None:
        """The work named ``label`` is over (its bar goes away)."""

    def waiting(self, what: str) -> None:
        """The command waits, for ``what`` (another digest holding the store lock, with its pid)."""


QUIET = Feedback()
