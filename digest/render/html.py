"""HTML: the digest as the text/html part of the email.

Made for mail clients, not browsers: every style is inline (webmail strips
``<style>`` blocks), nothing is loaded from elsewhere (no images, fonts or
stylesheets), no scripts, and the layout is one column no wider than 680 px
that reflows on a phone. Every value from a dump or feed goes through
:func:`digest.render.clean` and :func:`html.escape`; only plain http(s) URLs
(:func:`digest.render.safe_url`) become links. Matched interest terms are
highlighted with an inline-styled ``<mark>``.
"""

from __future__ import annotations

import html
import re

from digest.identity import short_id
from digest.ranking.report import Report, highlighter_of
from digest.render import (
    cross_list_from,
    extra_links,
    grouped_matches,
    link_kind,
    match_label,
    meta_bits,
    paper_link,
    snippet,
)
from digest.render.text import overview, source_summary
from digest.text import clean

SNIPPET_CHARS = 360

FONT = ("-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
        "'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif")
MONO = "ui-monospace,Menlo,Consolas,monospace"
INK, MUTED, LINK, LINE = "#1f2328", "#59636e", "#0b57d0", "#e4e7eb"

S_BODY = "margin:0;padding:0;background:#f3f4f6;"
S_WRAP = (f"max-width:680px;margin:0 auto;padding:20px 14px 28px;font-family:{FONT};"
          f"color:{INK};font-size:15px;line-height:1.5;overflow-wrap:anywhere;word-break:break-word;")
S_H1 = "font-size:21px;line-height:1.3;margin:0 0 4px;font-weight:700;"
S_LEAD = f"margin:0 0 14px;color:{MUTED};font-size:14px;"
S_WARN = ("margin:0 0 14px;padding:10px 12px;background:#fff8e1;border:1px solid #f2d27a;"
          "border-radius:6px;font-size:13px;color:#5c4400;")
S_UPDATE = ("margin:0 0 14px;padding:10px 12px;background:#f5f0ff;border:1px solid #d8c8f5;"
            "border-radius:6px;font-size:14px;font-weight:600;")
S_FOLD_H = "margin:18px 2px 6px;font-size:14px;font-weight:600;"
S_FOLD = "padding:10px 18px;font-size:15px;"
S_CARD = "background:#ffffff;border:1px solid #d9dde3;border-radius:8px;"
S_ITEM = "padding:16px 18px;"
S_ITEM_SEP = f"border-top:1px solid {LINE};"
S_TITLE = "margin:0;font-size:17px;line-height:1.35;font-weight:600;"
S_RANK = f"color:{MUTED};font-weight:400;"
S_A = f"color:{LINK};text-decoration:none;"
S_LABEL = f"color:{MUTED};font-size:13px;font-weight:400;white-space:nowrap;"
S_META = f"margin:5px 0 0;font-size:13px;color:{MUTED};"
S_SCORE = ("display:inline-block;padding:0 6px;border-radius:10px;background:#e7f5ec;color:#116329;"
           "font-weight:600;")
S_SCORE_NEG = ("display:inline-block;padding:0 6px;border-radius:10px;background:#fdecec;color:#a40e26;"
               "font-weight:600;")
S_ID = (f"font-family:{MONO};font-size:12px;background:#eef1f4;color:{INK};padding:1px 5px;"
        "border-radius:4px;")
S_TAG = "color:#8250df;white-space:nowrap;"
S_SNIP = "margin:8px 0 0;font-size:14px;color:#2f353c;"
S_MARK = "background:#fff0a8;color:inherit;"
S_MUTE = "background:#fde2e2;color:#7d1a1a;text-decoration:line-through;"
S_WHY = f"margin:8px 0 0;font-size:12px;color:{MUTED};"
S_WHY_ONE = "display:inline-block;margin:0 10px 2px 0;"  # a term and its weights wrap as one
S_TERM = "display:inline-block;margin:0 4px 0 0;padding:0 6px;border-radius:9px;background:#fff4c2;color:#4d3c00;"
S_TERM_NEG = "display:inline-block;margin:0 4px 0 0;padding:0 6px;border-radius:9px;background:#fde2e2;color:#7d1a1a;"
S_FOOT = f"margin:18px 2px 0;font-size:12px;color:{MUTED};"
S_CODE = f"font-family:{MONO};font-size:12px;background:#eef1f4;padding:1px 4px;border-radius:4px;"


def esc(value: object) -> str:
    """Data text, cleaned and escaped for HTML text and attribute values."""
    return html.escape(clean(value), quote=True)


_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
S_NOWRAP = "white-space:nowrap"


def nowrap_dates(escaped: str) -> str:
    """Escaped text with its ISO dates kept on one line (a phone broke "2025-" / "11-22")."""
    return _DATE.sub(lambda m: f'<span style="{S_NOWRAP}">{m.group(0)}</span>', escaped)


def _highlighted(text: str, hl) -> str:
    """``text`` (already clean) escaped, with the matched words in ``<mark>`` (struck through and
    red for mute terms)."""
    if hl is None:
        return html.escape(text, quote=True)
    out, pos = [], 0
    for m in hl.finditer(text):
        out.append(html.escape(text[pos:m.start()], quote=True))
        style = S_MUTE if m.lastgroup == "mute" else S_MARK
        out.append(f'<mark style="{style}">{html.escape(m.group(0), quote=True)}</mark>')
        pos = m.end()
    out.append(html.escape(text[pos:], quote=True))
    return "".join(out)


def _with_code(escaped: str) -> str:
    """Escaped text with its `backticked` commands set as code."""
    return re.sub(r"`([^`]+)`", lambda m: f'<code style="{S_CODE}">{m.group(1)}</code>', escaped)


def _link(url: str, label: str) -> str:
    """A link; ``url`` must already have passed safe_url, ``label`` be escaped HTML."""
    return f'<a href="{html.escape(url, quote=True)}" style="{S_A}">{label}</a>'


def _item(i: int, s, tags: list[str], first: bool, hl=None) -> str:
    r = s.record
    hl = hl if hl is not None else highlighter_of([s])
    title = _highlighted(clean(r.get("title")) or "(untitled)", hl)
    link = paper_link(r)
    title = _link(link.url, title)
    if link.search:
        title += f' <span style="{S_LABEL}">({esc(link.label)})</span>'
    sid = short_id(r["id"])
    score_style = S_SCORE if s.score >= 0 else S_SCORE_NEG
    meta = [f'<span style="{score_style}">{s.score:.1f}</span>',
            f'<code style="{S_ID}" title="tag it: digest tag {sid} toread">{sid}</code>']
    meta += [nowrap_dates(esc(b)) for b in meta_bits(r)]
    if r.get("truncated"):
        meta.append("abstract cut off")
    meta += [_link(u, esc(link_kind(u))) for u in extra_links(r)]
    clean_tags = [clean(t) for t in tags if clean(t)]
    if clean_tags:
        meta.append(" ".join(f'<span style="{S_TAG}">{esc("#" + t)}</span>' for t in clean_tags))
    parts = [
        f'<div style="{S_ITEM}{"" if first else S_ITEM_SEP}">',
        f'<p style="{S_TITLE}"><span style="{S_RANK}">{i}.</span> {title}</p>',
        f'<p style="{S_META}">' + " &middot; ".join(meta) + "</p>",
    ]
    if r.get("abstract"):
        parts.append(f'<p style="{S_SNIP}">{_highlighted(snippet(r["abstract"], hl, SNIPPET_CHARS), hl)}</p>')
    if s.matches:
        terms = []
        for term, contribs in grouped_matches(s.matches):
            neg = all(w < 0 for _, w in contribs)
            before, term, detail = match_label(term, contribs)
            terms.append(f'<span style="{S_WHY_ONE}">{esc(before)}<span style="{S_TERM_NEG if neg else S_TERM}">'
                         f'{esc(term)}</span>{esc(detail)}</span>')
        parts.append(f'<p style="{S_WHY}">matched: ' + " ".join(terms) + "</p>")
    parts.append("</div>")
    return "\n".join(parts)


def render_html(report: Report, *, title: str = "") -> str:
    lead = overview(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>{esc(title or report.heading)}</title>",
        "</head>",
        f'<body style="{S_BODY}">',
        f'<div style="{S_WRAP}">',
        f'<h1 style="{S_H1}">{nowrap_dates(esc(report.heading))}</h1>',
        f'<p style="{S_LEAD}">' + "<br>".join(nowrap_dates(_with_code(esc(line))) for line in lead) + "</p>",
    ]
    if report.updates:  # new versions of papers on the reading list come first
        out.append(f'<div style="{S_UPDATE}">' + "<br>".join(
            _link(paper_link(u.record).url, nowrap_dates(esc(u.text()))) for u in report.updates) + "</div>")
    if report.warnings:
        out.append(f'<div style="{S_WARN}">' + "<br>".join("&#9888; " + esc(w) for w in report.warnings)
                   + "</div>")
    main, folded = report.sections()
    if main:
        out.append(f'<div style="{S_CARD}">')
        for i, s in enumerate(main, 1):
            out.append(_item(i, s, report.tags_of(s.record["id"]), i == 1, report.highlighter()))
        out.append("</div>")
    if folded:  # [show] cross_lists = "fold": one line each, after the others
        out.append(f'<p style="{S_FOLD_H}">Cross-lists ({len(folded)})</p>')
        out.append(f'<div style="{S_CARD}">')
        for i, s in enumerate(folded, len(main) + 1):
            r = s.record
            link = paper_link(r)
            out.append(f'<div style="{S_FOLD}{"" if i == len(main) + 1 else S_ITEM_SEP}">'
                       f'<span style="{S_RANK}">{i}.</span> {_link(link.url, esc(r.get("title") or "(untitled)"))}'
                       f' <span style="{S_LABEL}">{s.score:.1f} &middot; {esc(short_id(r["id"]))} &middot; '
                       f'{esc(cross_list_from(r))}</span></div>')
        out.append("</div>")
    foot = []
    if report.sources:
        foot.append("Sources: " + "; ".join(esc(line) for line in source_summary(report)))
    if report.entries:
        sid = esc(short_id(report.entries[0].record["id"]))
        foot.append(f'Keep one for later: <code style="{S_CODE}">digest tag {sid} toread</code>'
                    f' &middot; why it scored so: <code style="{S_CODE}">digest explain {sid}</code>')
    if foot:
        out.append(f'<p style="{S_FOOT}">' + "<br>".join(foot) + "</p>")
    out += ["</div>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
