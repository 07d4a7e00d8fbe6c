"""The terminal digest, drawn with rich.

Everything from a dump or feed goes into rich ``Text`` objects (never markup)
after :func:`digest.render.clean`, so ``[bold]`` or escape sequences in a title
are shown literally or dropped, never interpreted. Colours follow rich's
detection: none when piped, none with ``NO_COLOR``.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console, Group
from rich.padding import Padding
from rich.style import Style
from rich.text import Text

from digest.identity import short_id
from digest.render import clean, meta_bits, paper_url, snippet
from digest.report import Report
from digest.scoring import highlight_regex

HIT = Style(bold=True, color="yellow")
DIM = Style(dim=True)


def make_console(file: IO[str] | None = None, *, width: int | None = None,
                 force_terminal: bool | None = None, no_color: bool | None = None) -> Console:
    return Console(file=file, width=width, force_terminal=force_terminal, no_color=no_color,
                   highlight=False, markup=False, emoji=False, soft_wrap=False)


def _highlighted(text: str, hl, base: Style | None = None) -> Text:
    t = Text(text, style=base or "")
    if hl is not None:
        for m in hl.finditer(text):
            t.stylize(HIT, m.start(), m.end())
    return t


def entry_renderable(rank: int, s, tags: list[str]) -> Group:
    r = s.record
    hl = highlight_regex(s.terms)
    title = clean(r.get("title")) or "(untitled)"
    head = Text()
    head.append(f"{rank:>2}. ", style="bold")
    score_style = "green" if s.score > 0 else ("red" if s.score < 0 else "dim")
    head.append(f"{s.score:>5.1f} ", style=score_style)
    head.append(short_id(r["id"]), style="cyan")
    head.append("  ")
    t = _highlighted(title, hl, Style(bold=True))
    url = paper_url(r)
    if url:
        t.stylize(Style(link=url))
    head.append_text(t)
    lines = [head]
    bits = meta_bits(r)
    if r.get("truncated"):
        bits.append("abstract cut off")
    meta = Text(" · ".join(bits), style=DIM)
    if tags:
        if bits:
            meta.append(" · ", style=DIM)
        meta.append(" ".join(f"#{clean(t)}" for t in tags), style="magenta")
    if meta.plain:
        lines.append(Padding(meta, (0, 0, 0, 17)))
    if r.get("abstract"):
        lines.append(Padding(_highlighted(snippet(r["abstract"], hl), hl), (0, 0, 0, 17)))
    if s.matches:
        why = Text("matched: ", style=DIM)
        for i, m in enumerate(s.matches):
            if i:
                why.append(", ", style=DIM)
            why.append(clean(m.term), style="yellow" if m.weight >= 0 else "red")
            why.append(f" ({m.field} {m.weight:+g})", style=DIM)
        lines.append(Padding(why, (0, 0, 0, 17)))
    return Group(*lines)


def render_terminal(report: Report, console: Console) -> None:
    console.print(Text(clean(report.heading), style="bold underline"))
    console.print(Text(clean(report.summary()), style=DIM))
    for w in report.warnings:
        console.print(Text("⚠ " + clean(w), style="yellow"))
    console.print()
    if not report.entries:
        console.print(Text("Nothing new.", style="italic"))
        return
    for i, s in enumerate(report.entries, 1):
        console.print(entry_renderable(i, s, report.tags_of(s.record["id"])))
        console.print()


def render_explain(s, console: Console, tags: list[str] | None = None) -> None:
    """One item's score, contribution by contribution."""
    r = s.record
    console.print(entry_renderable(1, s, tags or []))
    console.print()
    if not s.matches:
        console.print(Text("No interest matched: score 0.", style=DIM))
    for m in s.matches:
        line = Text(f"{m.weight:+8.2f}  ", style="green" if m.weight >= 0 else "red")
        line.append(clean(m.term), style="bold")
        line.append(f"  in {m.field}", style=DIM)
        if m.detail:
            line.append(f"  {clean(m.detail)}", style=DIM)
        console.print(line)
    console.print(Text(f"{s.score:+8.2f}  total", style="bold"))
    console.print(Text(f"\nid {r['id']} · sources: {', '.join(clean(x) for x in r.get('sources') or [])}"
                       f" · first seen {r.get('first_seen', '?')}", style=DIM))
