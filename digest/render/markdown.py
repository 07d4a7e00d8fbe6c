"""Markdown: the digest for notes apps and issue trackers."""

from __future__ import annotations

import re

from digest.identity import short_id
from digest.ranking.report import Report
from digest.render import grouped_matches, meta_bits, paper_url, snippet
from digest.text import clean

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")


def md_escape(text: object) -> str:
    """Plain text that Markdown shows literally (HTML escaped too)."""
    s = _escape(clean(text))
    return "\\" + s if s[:1] in "-+" and s else s


def _escape(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_link(title: str, url: str | None) -> str:
    t = md_escape(title)
    if not url:
        return f"**{t}**"
    u = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"**[{t}]({u})**"


def md_highlighted(text: str, hl) -> str:
    """``text`` escaped, the words of wanted terms in **bold**, those of mute terms ~~struck~~."""
    text = clean(text)
    if hl is None:
        return md_escape(text)
    out, pos = [], 0
    for m in hl.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        mark = "~~" if m.lastgroup == "mute" else "**"
        out.append(f"{mark}{_escape(m.group(0))}{mark}")
        pos = m.end()
    out.append(_escape(text[pos:]))
    s = "".join(out)
    return "\\" + s if s[:1] in "-+" else s


def _why(term: str, parts) -> str:
    neg = all(w < 0 for _, w in parts)
    t = f"~~{md_escape(term)}~~" if neg else md_escape(term)
    return f"{t} (" + ", ".join(f"{f} {w:+g}" for f, w in parts) + ")"


def render_markdown(report: Report) -> str:
    out = [f"# {md_escape(report.heading)}", "", f"_{md_escape(report.summary())}_", ""]
    for w in report.warnings:
        out.append(f"> ⚠ {md_escape(w)}")
    if report.warnings:
        out.append("")
    if not report.entries:
        out.append("Nothing new.")
    for i, s in enumerate(report.entries, 1):
        r = s.record
        hl = report.highlighter()
        out.append(f"{i}. {md_link(r.get('title', ''), paper_url(r))} — score {s.score:g} · `{short_id(r['id'])}`")
        bits = meta_bits(r)
        tags = report.tags_of(r["id"])
        if tags:
            bits.append(" ".join(f"#{t}" for t in tags))
        if bits:
            out.append(f"   {md_escape(' · '.join(bits))}")
        if r.get("abstract"):
            out.append(f"   > {md_highlighted(snippet(r['abstract'], hl, 300), hl)}")
        if s.matches:
            out.append("   matched: " + ", ".join(_why(term, parts) for term, parts in grouped_matches(s.matches)))
        if report.view == "hidden" and s.sunk_by:
            out.append(f"   hidden by the mute term ~~{md_escape(s.sunk_by)}~~")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
