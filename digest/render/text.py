"""Plain text: the digest as the text/plain part of the email.

Written for a terminal mail client at 80 columns (mutt, aerc, alpine): no
markup, lines wrapped at 76 display columns (wide CJK characters count two),
long URLs on a line of their own and never broken, every value from a dump or
feed passed through :func:`digest.render.clean` (no control characters, no
line breaks smuggled in from a title).

    12 papers, the best of 40 not yet emailed

     1. Robot Fine-Tuning Made Easy: Pre-Training Rewards and Policies for
        Autonomous Real-World Reinforcement Learning
        score 12.0 · id 596749aa · 6 authors · 2023-10-23 · 12 upvotes
        …enables quick and easy learning of new tasks. We aim to enable
        this paradigm in robotic reinforcement learning…
        matched: pre-training (title +3), reinforcement learning (title +4)
        https://arxiv.org/abs/2310.15145
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from digest.identity import short_id
from digest.ranking.report import Report
from digest.render import (
    cross_list_from,
    grouped_matches,
    labelled_links,
    link_prefix,
    match_label,
    meta_bits,
    narrow,
    paper_link,
    snippet,
)
from digest.text import clean

WIDTH = 76  # leaves room for a quote marker or a client's margin at 80 columns
SNIPPET_CHARS = 320


def cell_width(text: str) -> int:
    """Display columns of ``text`` in a terminal: wide (CJK) characters count two."""
    if narrow(text):  # (most text: one column a character, counted without a look at each)
        return len(text)
    n = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def _split_long(word: str, width: int, width_of: Callable[[str], int] = cell_width) -> list[str]:
    """A word wider than ``width`` (CJK text has no spaces) cut into pieces that fit."""
    if word.lower().startswith(("http://", "https://")):
        return [word]  # a URL is never broken: clients make it clickable whole
    pieces, cur, cur_w = [], "", 0
    for ch in word:
        w = width_of(ch)
        if cur and cur_w + w > width:
            pieces.append(cur)
            cur, cur_w = "", 0
        cur += ch
        cur_w += w
    if cur:
        pieces.append(cur)
    return pieces


GLUE = "\x00"  # a space that wrap() never breaks at (data text is clean: it has no NUL)
_CODE = re.compile(r"`([^`]+)`")


def glue(text: str) -> str:
    """``text`` kept on one line by :func:`wrap` (unless it is wider than a line)."""
    return text.replace(" ", GLUE)


def _why(term: str, parts) -> str:
    """One group of the matched line, never broken inside."""
    before, term, after = match_label(term, parts)
    return glue(before + clean(term) + after)


def wrap(text: str, width: int = WIDTH, *, first: str = "", indent: str = "") -> list[str]:
    """Greedy word wrap by display width; ``first`` prefixes line one, ``indent`` the rest.

    Spaces written as :data:`GLUE` do not break, unless a glued run is wider
    than the line: then it is broken at those spaces after all."""
    # (most text is one column a character throughout: then widths are lengths, counted in C)
    width_of = len if narrow(text) and narrow(first) and narrow(indent) else cell_width
    words = []
    for word in text.split():
        if GLUE in word and width_of(word) > width - max(width_of(first), width_of(indent)):
            words += word.split(GLUE)
        else:
            words.append(word)
    return [line.replace(GLUE, " ") for line in _wrap(words, width, first, indent, width_of)]


def _wrap(words: list[str], width: int, first: str, indent: str, width_of: Callable[[str], int]) -> list[str]:
    lines: list[str] = []
    prefix = first
    cur: list[str] = []
    cur_w = width_of(prefix)
    for word in words:
        avail = width - width_of(prefix)
        for piece in _split_long(word, max(10, avail), width_of) if width_of(word) > avail else [word]:
            w = width_of(piece)
            if cur and cur_w + 1 + w > width:
                lines.append(prefix + " ".join(cur))
                prefix, cur = indent, []
                cur_w = width_of(prefix)
            cur_w += w + (1 if cur else 0)
            cur.append(piece)
    if cur or not lines:
        lines.append(prefix + " ".join(cur))
    return [line.rstrip() for line in lines]


def overview(report: Report) -> list[str]:
    """What this digest is: how many papers, drawn from how many (one sentence each)."""
    shown, pool = len(report.entries), report.pool
    noun = "paper" if shown == 1 else "papers"
    if not shown:
        head = "Nothing new since the last digest." if report.mode == "unsent" else "Nothing new."
    elif pool > shown:
        what = "not yet emailed" if report.mode == "unsent" else "new"
        head = f"{shown} {noun}, the best of {pool} {what}."
    else:
        head = f"{shown} new {noun}."
    muted = [clean(report.hidden_clause().capitalize() + ".")] if report.hidden.count else []
    return [head] + muted + [clean(n) for n in report.notes]


def keep_code(line: str) -> str:
    """A `command` in backticks glued onto one line."""
    return _CODE.sub(lambda m: glue(m.group(0)), line)


def source_summary(report: Report) -> list[str]:
    return [clean(s.text()) for s in report.sources]


def render_text(report: Report, *, width: int = WIDTH) -> str:
    out: list[str] = []
    heading = clean(report.heading)
    out += [heading, "=" * min(width, cell_width(heading)), ""]
    for u in report.updates:  # new versions of papers on the reading list come first
        out += wrap(u.text(), width, indent="  ")
        out.append("  " + paper_link(u.record).url)
    if report.updates:
        out.append("")
    for line in overview(report) + [clean(h) for h in report.hints]:  # (hints: commands, here only)
        out += wrap(keep_code(line), width)
    for w in report.warnings:
        out += wrap(clean(w), width, first="! ", indent="  ")
    out.append("")
    label_w = len(f"{len(report.entries)}. ")
    pad = " " * max(4, label_w)
    main, folded = report.sections()
    for i, s in enumerate(main, 1):
        r = s.record
        hl = report.highlighter()
        label = f"{i}. ".rjust(len(pad))
        out += wrap(clean(r.get("title")) or "(untitled)", width, first=label, indent=pad)
        bits = [f"score {s.score:.1f}", f"id {short_id(r['id'])}"]
        bits += meta_bits(r)
        if r.get("truncated"):
            bits.append("abstract cut off")
        tags = [clean(t) for t in report.tags_of(r["id"]) if clean(t)]
        if tags:
            bits.append(" ".join(f"#{t}" for t in tags))
        # short bits ("12 upvotes", a date) never break; an author list may
        out += wrap(" · ".join(glue(b) if len(b) <= 30 else b for b in bits), width, first=pad, indent=pad)
        if r.get("abstract"):
            out += wrap(snippet(r["abstract"], hl, SNIPPET_CHARS), width, first=pad, indent=pad)
        groups = grouped_matches(s.matches)
        for label, mute in (("matched: ", False), ("muted: ", True)):  # mute terms on a line of their own
            why = ", ".join(
                _why(term, parts) for term, parts in groups if all(w < 0 for _, w in parts) == mute
            )
            if why:
                out += wrap(label + why, width, first=pad, indent=pad + "  ")
        if report.view == "hidden" and s.sunk_by:
            out += wrap(f"hidden by the mute term {clean(s.sunk_by)}", width, first=pad, indent=pad)
        for link_label, url in labelled_links(r):  # each on a line of its own, never broken
            out.append(pad + link_prefix(link_label) + url)
        out.append("")
    if folded:  # [show] cross_lists = "fold": one line each, after the others
        out += [f"Cross-lists ({len(folded)})", ""]
        for i, s in enumerate(folded, len(main) + 1):
            r = s.record
            out += wrap(clean(r.get("title")) or "(untitled)", width, first=f"{i}. ".rjust(len(pad)), indent=pad)
            bits = [f"score {s.score:.1f}", f"id {short_id(r['id'])}", cross_list_from(r)]
            out += wrap(" · ".join(glue(b) for b in bits), width, first=pad, indent=pad)
            for label, url in labelled_links(r):
                out.append(pad + link_prefix(label) + url)
            out.append("")
    if report.sources:
        out.append("Sources")
        for line in source_summary(report):
            out += wrap(line, width, first="  ", indent="    ")
        out.append("")
    if report.entries:
        sid = short_id(report.entries[0].record["id"])
        out.append("-- ")  # the signature separator: clients fold or dim what follows
        out += wrap(f"Keep one for later: digest tag {sid} toread", width)
        out += wrap(f"Why it scored so: digest explain {sid}", width)
    return "\n".join(out).rstrip() + "\n"
