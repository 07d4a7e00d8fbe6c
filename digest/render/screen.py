"""Where terminal output goes, and its styles: a :class:`Screen` (a file, its width, whether
it is a terminal that gets styles and hyperlinks) and styles as SGR codes, without rich.

Decided as rich decides it, so every output (the digest, explain, the reading-list table)
is styled exactly where rich would style it; the codes are rich's, in rich's order.
"""

from __future__ import annotations

import os
import sys
from typing import IO

from digest.render import screen_width

# A style is (attributes, colour, link): attributes are the SGR bits below (rich's numbering,
# so codes come out in rich's order), the colour one of COLORS, the link an http(s) URL.
Style = tuple  # (int, str | None, str | None)
BOLD, DIM, ITALIC, UNDERLINE, STRIKE = 1, 2, 4, 8, 256
_ATTR_CODES = ((BOLD, "1"), (DIM, "2"), (ITALIC, "3"), (UNDERLINE, "4"), (STRIKE, "9"))
COLORS = {"red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
NONE: Style = (0, None, None)
HIT: Style = (BOLD, "yellow", None)  # a word a wanted term matched
MUTE: Style = (STRIKE, "red", None)  # a word a mute term matched
DIM_S: Style = (DIM, None, None)
BOLD_S: Style = (BOLD, None, None)


def color(name: str) -> Style:
    return (0, name, None)


def link_style(url: str | None) -> Style:
    return (0, None, url)


def combine(a: Style, b: Style) -> Style:
    """``b`` on top of ``a``: attributes add up, ``b``'s colour and link win where it has one."""
    return (a[0] | b[0], b[1] or a[1], b[2] or a[2])


def sgr(style: Style) -> str:
    """The SGR parameters of a style ("1;33"), as rich writes them."""
    codes = [code for bit, code in _ATTR_CODES if style[0] & bit]
    if style[1]:
        codes.append(COLORS[style[1]])
    return ";".join(codes)


def no_color_set() -> bool:
    """NO_COLOR (https://no-color.org): set and not empty."""
    return os.environ.get("NO_COLOR", "") != ""


class Screen:
    """Where output is drawn: a file (stdout by default), its width, and whether it is a
    terminal that gets styles and hyperlinks. Decided as rich decides it: ``force_terminal``,
    else TTY_COMPATIBLE (1/0), else FORCE_COLOR (set and not empty), else whether the file is
    a terminal; no styles on a dumb terminal (TERM=dumb) or with NO_COLOR (or ``no_color``).
    The width: ``width``, else $COLUMNS, else the terminal's, else 80."""

    def __init__(self, file: IO[str] | None = None, *, width: int | None = None,
                 force_terminal: bool | None = None, no_color: bool | None = None) -> None:
        self._file = file
        self.is_terminal = _is_terminal(file if file is not None else sys.stdout, force_terminal)
        plain = no_color_set() if no_color is None else no_color
        dumb = self.is_terminal and os.environ.get("TERM", "").lower() in ("dumb", "unknown")
        self.styled = self.is_terminal and not dumb and not plain
        self.color_system = "standard" if self.styled else None  # (None: no escape sequence at all)
        self.width = width if width is not None else screen_width(terminal=self.is_terminal)
        self._link_ids: dict[str, int] = {}

    @property
    def file(self) -> IO[str]:
        return self._file if self._file is not None else sys.stdout

    def render(self, runs: list[tuple[str, Style]]) -> str:
        """One line of styled runs as text: plain, or with SGR codes and OSC 8 links."""
        if not self.styled:
            return "".join(t for t, _ in runs)
        out = []
        for text, style in runs:
            if not text:
                continue
            codes = sgr(style)
            piece = f"\x1b[{codes}m{text}\x1b[0m" if codes else text
            if style[2]:
                n = self._link_ids.setdefault(style[2], len(self._link_ids) + 1)
                piece = f"\x1b]8;id={n};{style[2]}\x1b\\{piece}\x1b]8;;\x1b\\"
            out.append(piece)
        return "".join(out)


def _is_terminal(file, force: bool | None) -> bool:
    if force is not None:
        return force
    env = os.environ
    tty = env.get("TTY_COMPATIBLE", "")
    if tty in ("0", "1"):
        return tty == "1"
    if env.get("FORCE_COLOR") is not None:
        return env["FORCE_COLOR"] != ""
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):
        return False


def make_console(file: IO[str] | None = None, *, width: int | None = None,
                 force_terminal: bool | None = None, no_color: bool | None = None) -> Screen:
    """The screen for digest's output (see :class:`Screen`). With NO_COLOR set (or
    ``no_color``) it writes no escape sequence at all: no colour, no bold, dim or underline,
    no OSC 8 hyperlink (links are printed as text, as when piped)."""
    return Screen(file, width=width, force_terminal=force_terminal, no_color=no_color)


def hyperlinks(screen: Screen) -> bool:
    """Whether links may be OSC 8 hyperlinks: a terminal, with styles allowed."""
    return screen.styled


