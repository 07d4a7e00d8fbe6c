"""The terminal digest (and ``digest explain``), laid out line by line.

Everything from a dump or feed is passed through :func:`digest.render.clean` and written
as text, never read as markup, so ``[bold]`` or escape sequences in a title are shown
literally or dropped, never interpreted. Styles (SGR) and OSC 8 hyperlinks are written only
to a terminal; piped, or with ``NO_COLOR`` set (https://no-color.org), the output is plain
text with every link spelled out. No URL is ever broken across lines.

The layout is the one rich drew (rich cost ~12 ms to import and ~12 ms to lay out 20
entries, a quarter of a daily command): the same lines, the same characters in the same
styles. ``tests/rich_reference.py`` keeps the rich renderer as the oracle that
``tests/test_terminal_layout.py`` compares this one with, piped byte for byte. Text that is
not all one-cell characters (CJK, emoji) is measured with rich's own cell tables
(:func:`digest.render.cell_len`), so rich is imported only then.
"""

from __future__ import annotations

import re

from digest.identity import short_id
from digest.ranking.report import Report, highlighter_of
from digest.render import (
    GLUE,
    INDENT,
    NARROW_BODY,
    SEARCH_LABEL,
    URL_WORD,
    cell_len,
    chop_cells,
    cross_list_from,
    glued,
    grouped_matches,
    labelled_links,
    link_prefix,
    match_label,
    meta_bits,
    paper_link,
    snippet,
)
from digest.render.screen import (
    BOLD,
    BOLD_S,
    DIM,
    DIM_S,
    HIT,
    ITALIC,
    MUTE,
    NONE,
    UNDERLINE,
    Screen,
    Style,
    color,
    combine,
    hyperlinks,
    link_style,
    make_console,
    no_color_set,
)
from digest.text import clean

__all__ = ["Screen", "make_console", "no_color_set", "print_report", "render_terminal", "render_explain"]


# --------------------------------------------------------------------------- styled text
# A piece of styled text is a list of runs [(text, style)], each style complete (the base
# style of the piece combined with what was put on top), as rich would render it.
Runs = list  # list[tuple[str, Style]]
_WORD = re.compile(r"[^ ]+ *")
_RICH_WORD = re.compile(r"\s*\S+\s*")


def plain_of(runs: Runs) -> str:
    return "".join(t for t, _ in runs)


def divide(runs: Runs, offsets: list[int]) -> list[Runs]:
    """The runs cut at character ``offsets`` (ascending) into lines."""
    lines: list[Runs] = [[]]
    pos = 0
    cuts = iter(offsets + [-1])
    cut = next(cuts)
    for text, style in runs:
        start = 0
        while cut >= 0 and cut <= pos + len(text):
            lines[-1].append((text[start:cut - pos], style))
            start = cut - pos
            lines.append([])
            cut = next(cuts)
        lines[-1].append((text[start:], style))
        pos += len(text)
    return [[r for r in line if r[0]] for line in lines]


def rstrip(runs: Runs) -> Runs:
    """Trailing whitespace removed (as str.rstrip: the glue space too)."""
    out = list(runs)
    while out:
        text, style = out[-1]
        stripped = text.rstrip()
        if stripped:
            out[-1] = (stripped, style)
            break
        out.pop()
    return out


def highlighted(text: str, hl, base: Style = NONE) -> Runs:
    """``text`` in ``base``, the words the highlighter finds in HIT (MUTE for mute terms) on top."""
    if hl is None:
        return [(text, base)]
    runs: Runs = []
    pos = 0
    for m in hl.finditer(text):
        if m.start() == m.end():
            continue
        if m.start() > pos:
            runs.append((text[pos:m.start()], base))
        runs.append((m.group(), combine(base, MUTE if m.lastgroup == "mute" else HIT)))
        pos = m.end()
    if pos < len(text):
        runs.append((text[pos:], base))
    return runs


def with_link(runs: Runs, url: str) -> Runs:
    return [(t, combine(s, link_style(url))) for t, s in runs]


def break_lines(runs: Runs, first: int, rest: int) -> list[Runs]:
    """``runs`` cut into lines of at most ``first`` cells (then ``rest``), at spaces (not at
    :data:`GLUE`). A word wider than a line is folded, except a URL: it is never broken (it
    overflows its own line)."""
    plain = plain_of(runs)
    offsets: list[int] = []
    width, used = first, 0
    for m in _WORD.finditer(plain):
        word = m.group(0)
        bare = word.rstrip()
        wlen = cell_len(bare)
        if used and used + wlen > width:
            offsets.append(m.start())
            width, used = rest, 0
        if wlen <= width - used or URL_WORD.match(word):
            used += wlen + len(word) - len(bare)
            continue
        pos = m.start()  # fold a long word that is not a URL
        for piece in chop_cells(bare, max(1, width - used)):
            if pos > m.start():
                offsets.append(pos)
                width = rest
            pos += len(piece)
            used = cell_len(piece)
        used += len(word) - len(bare)
    lines = divide(runs, offsets) if offsets else [runs]
    return [[(t.replace(GLUE, " "), s) for t, s in rstrip(line)] for line in lines]


def wrapped(runs: Runs, width: int) -> list[Runs]:
    """``runs`` word-wrapped as rich wraps printed text: words with the spaces around them, a
    word wider than the line folded, trailing spaces beyond the width dropped, lines cropped."""
    plain = plain_of(runs)
    offsets: list[int] = []
    offset = 0
    for m in _RICH_WORD.finditer(plain):
        start, word = m.start(), m.group()
        wlen = cell_len(word.rstrip())
        if width - offset >= wlen:
            offset += cell_len(word)
        elif wlen > width:
            pieces = chop_cells(word, width)
            for k, piece in enumerate(pieces):
                if start:
                    offsets.append(start)
                if k == len(pieces) - 1:
                    offset = cell_len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            offsets.append(start)
            offset = cell_len(word)
    out = []
    for line in divide(runs, offsets) if offsets else [runs]:
        text = plain_of(line)
        if len(text) > width:  # trailing spaces beyond the width go (rich's rstrip_end)
            excess = len(text) - width
            spaces = len(text) - len(text.rstrip())
            line = _crop(line, len(text) - min(spaces, excess))
        if cell_len(plain_of(line)) > width:
            line = _crop_cells(line, width)
        out.append(line)
    return out


def _crop(runs: Runs, n: int) -> Runs:
    """The first ``n`` characters."""
    out, used = [], 0
    for t, s in runs:
        if used >= n:
            break
        out.append((t[: n - used], s))
        used += len(t[: n - used])
    return out


def _crop_cells(runs: Runs, width: int) -> Runs:
    """The first ``width`` cells."""
    out, used = [], 0
    for t, s in runs:
        if used + cell_len(t) <= width:
            out.append((t, s))
            used += cell_len(t)
            continue
        piece = chop_cells(t, width - used)[0] if width > used else ""
        if piece:
            out.append((piece, s))
        break
    return out


# --------------------------------------------------------------------------- the entries
def link_pieces(r: dict, linked: bool) -> list[Runs]:
    """The entry's links, each one unbreakable piece: the paper's page (or, labelled, the title
    search), then code and project links. In a terminal they are also OSC 8 hyperlinks, and a
    search shows only its label (its URL is long)."""
    pieces = []
    for label, url in labelled_links(r):
        style = combine(DIM_S, link_style(url)) if linked else DIM_S
        if linked and label == SEARCH_LABEL:
            pieces.append([(label, style)])
            continue
        pieces.append([(link_prefix(label), DIM_S), (url, style)])
    return pieces


def link_lines(pieces: list[Runs], first: int, rest: int) -> list[Runs]:
    """Link pieces packed onto lines, joined by " · ", a piece never split."""
    lines: list[Runs] = []
    cur: Runs | None = None
    used = 0
    width = first
    for piece in pieces:
        n = cell_len(plain_of(piece))
        if cur is not None and used + 3 + n <= width:
            cur = cur + [(" · ", DIM_S)] + piece
            used += 3 + n
            continue
        if cur is not None:
            lines.append(cur)
            width = rest
        cur, used = list(piece), n
    if cur is not None:
        lines.append(cur)
    return lines


def _body(s, tags: list[str], hl=None, *, linked: bool = False,
          hidden: bool = False) -> tuple[list[Runs], list[Runs]]:
    """Title, meta line, abstract snippet and matched terms of one entry (and, ``hidden``, the mute
    term that sank it); and its link pieces."""
    r = s.record
    hl = hl if hl is not None else highlighter_of([s])
    title = highlighted(clean(r.get("title")) or "(untitled)", hl, BOLD_S)
    if linked:
        title = with_link(title, paper_link(r).url)
    lines = [title]
    bits = meta_bits(r)
    if r.get("truncated"):
        bits.append("abstract cut off")
    meta: Runs = [(glued(bits), DIM_S)]
    if tags:
        if bits:
            meta.append((" · ", DIM_S))
        meta.append((" ".join(f"#{clean(t)}" for t in tags), (DIM, "magenta", None)))
    if plain_of(meta):
        lines.append(meta)
    if r.get("abstract"):
        lines.append(highlighted(snippet(r["abstract"], hl), hl))
    if s.matches:
        why: Runs = [("matched: ", DIM_S)]
        for i, (term, parts) in enumerate(grouped_matches(s.matches)):
            if i:
                why.append((", ", DIM_S))
            neg = all(w < 0 for _, w in parts)
            before, term, after = match_label(term, parts)
            why.append((before, DIM_S))
            why.append((clean(term), (DIM, "red" if neg else "yellow", None)))
            why.append((after, DIM_S))
        lines.append(why)
    if hidden and s.sunk_by:
        lines.append([("hidden by the mute term ", DIM_S), (clean(s.sunk_by), (DIM, "red", None))])
    return lines, link_pieces(r, linked)


def _head(rank: int, score: float, item_id: str) -> Runs:
    score_style = color("green") if score > 0 else (color("red") if score < 0 else DIM_S)
    return [(f"{rank:>2}.", BOLD_S), (f"{score:6.1f} ", score_style), (short_id(item_id), color("cyan")),
            (" ", NONE)]


def _entry_lines(screen: Screen, rank: int, s, tags: list[str], hl=None, hidden: bool = False) -> list[Runs]:
    """One entry as wrapped lines: rank, score and short id, then the body beside them."""
    parts, links = _body(s, tags, hl, linked=hyperlinks(screen), hidden=hidden)
    return hanging(screen, _head(rank, s.score, s.record["id"]), parts, links)


def hanging(screen: Screen, head: Runs, parts: list[Runs], links: list[Runs]) -> list[Runs]:
    """``head``, then the lines of ``parts`` and the link pieces beside it, wrapped to the
    screen's width; on a narrow terminal (less than NARROW_BODY columns beside the head)
    the lines after the first hang at INDENT columns instead."""
    head_len = cell_len(plain_of(head))
    first = max(1, screen.width - head_len)
    indent = head_len if first >= NARROW_BODY else INDENT
    pad: Runs = [(" " * indent, NONE)]
    rest = max(1, screen.width - indent)
    out: list[Runs] = []
    for part in parts:
        for line in break_lines(part, first if not out else rest, rest):
            out.append((pad if out else head) + line)
    for line in link_lines(links, rest, rest):
        out.append(pad + line)
    return out


def _entries_lines(screen: Screen, report: Report) -> list[Runs]:
    lines: list[Runs] = []
    main, folded = report.sections()
    hl = report.highlighter()
    for i, s in enumerate(main, 1):
        if i > 1:
            lines.append([])
        lines.extend(_entry_lines(screen, i, s, report.tags_of(s.record["id"]), hl, report.view == "hidden"))
    if folded:  # [show] cross_lists = "fold": one line each, after the others
        if main:
            lines.append([])
        lines.append([(f"Cross-lists ({len(folded)})", BOLD_S)])
        for i, s in enumerate(folded, len(main) + 1):
            lines.extend(_folded_lines(screen, i, s))
    return lines


def _folded_lines(screen: Screen, rank: int, s) -> list[Runs]:
    """A folded entry: rank, score, id, title and where it is cross-listed from, then its links."""
    r = s.record
    linked = hyperlinks(screen)
    title: Runs = [(clean(r.get("title")) or "(untitled)", BOLD_S)]
    if linked:
        title = with_link(title, paper_link(r).url)
    title.append((" · " + cross_list_from(r), (BOLD | DIM, None, None)))
    return hanging(screen, _head(rank, s.score, r["id"]), [title], link_pieces(r, linked))


# --------------------------------------------------------------------------- whole outputs
class _Out:
    """Lines written to a screen: ``line`` as laid out (no wrapping), ``para`` wrapped to the
    width as rich wraps what it prints."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.lines: list[str] = []

    def line(self, runs: Runs = ()) -> None:  # type: ignore[assignment]
        self.lines.append(self.screen.render(list(runs)))

    def para(self, text: str, style: Style = NONE) -> None:
        self.runs([(text, style)])

    def runs(self, runs: Runs) -> None:
        for line in wrapped(runs, self.screen.width):
            self.line(line)

    def write(self) -> None:
        """To the screen's file: piped, without trailing spaces."""
        lines = self.lines if self.screen.is_terminal else [x.rstrip() for x in self.lines]
        f = self.screen.file
        f.write("\n".join(lines) + "\n" if lines else "")
        f.flush()


def render_terminal(report: Report, screen: Screen) -> None:
    out = _Out(screen)
    _report_lines(report, out)
    out.write()


def _report_lines(report: Report, out: _Out) -> None:
    linked = hyperlinks(out.screen)
    out.para(clean(report.heading), (BOLD | UNDERLINE, None, None))
    out.para(clean(report.summary()), DIM_S)
    for u in report.updates:  # new versions of papers on the reading list come first
        url = paper_link(u.record).url
        out.para(u.text(), (BOLD, "magenta", url if linked else None))
        out.line([("  " + url, (DIM, None, url if linked else None))])
    for w in report.warnings:
        out.para("⚠ " + clean(w), color("yellow"))
    out.line()
    if not report.entries:
        if report.view == "hidden":
            out.para("Nothing hidden by mute terms.", (ITALIC, None, None))
        else:
            out.para("Nothing new." if not report.pool else "Nothing to show.", (ITALIC, None, None))
        return
    for line in _entries_lines(out.screen, report):
        out.line(line)


def print_report(report: Report, screen: Screen | None = None) -> None:
    """Print to the terminal; when piped, as plain text without trailing spaces."""
    render_terminal(report, screen or make_console())


def render_explain(s, screen: Screen, tags: list[str] | None = None) -> None:
    """One item's score, contribution by contribution."""
    r = s.record
    out = _Out(screen)
    for entry_line in _entry_lines(screen, 1, s, tags or []):
        out.line(entry_line)
    out.line()
    if not s.matches:
        out.para("No interest matched: score 0.", DIM_S)
    for m in s.matches:
        base = color("green" if m.weight >= 0 else "red")  # (the whole line's colour)
        line: Runs = [(f"{m.weight:+8.2f}  ", NONE), (clean(m.term), BOLD_S), (f"  in {m.field}", DIM_S)]
        if m.forms and [f for f in m.forms if f != m.term.casefold()]:
            line.append(("  " + ", ".join(f'"{clean(f)}"' for f in m.forms), DIM_S))
        if m.detail:
            line.append((f"  {clean(m.detail)}", DIM_S))
        out.runs([(t, combine(base, st)) for t, st in line])
    out.para(f"{s.score:+8.2f}  total", BOLD_S)
    out.line()
    out.para(f"id {r['id']} · sources: {', '.join(clean(x) for x in r.get('sources') or [])}"
             f" · first seen {r.get('first_seen', '?')}", DIM_S)
    out.write()
