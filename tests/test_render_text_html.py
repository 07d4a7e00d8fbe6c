"""The text and HTML parts of the email: what a reader sees, and what data cannot do."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from digest.ranking.report import Report, SourceLine
from digest.ranking.score import Scorer
from digest.render.html import render_html
from digest.render.text import WIDTH, cell_width, render_text, wrap

INTERESTS = {"diffusion": 2.0, "large language model*": 2.0, "reinforcement learning": 2.0,
             "survey": -1.0}

HOSTILE = "Title\r\nBcc: evil@example.com <script>alert(1)</script> diffusion"
CJK = "大规模语言模型的强化学习预训练：一个非常长的中文标题用于测试换行是否正确处理 diffusion"
TEX = "$α$-Diffusion: Scaling $\\alpha$ & <b>Robots</b>"


def rec(title, **kw):
    import hashlib

    d = {"id": hashlib.sha256(title.encode()).hexdigest()[:16], "title": title,
         "abstract": kw.pop("abstract", f"We study diffusion for {title}."), "authors": [],
         "published": "2025-11-18", "upvotes": None, "org": None, "links": [], "url": None,
         "first_seen": "2025-11-20T07:30:00Z"}
    d.update(kw)
    return d


def make_report(records, **kw) -> Report:
    scorer = Scorer(INTERESTS)
    entries = scorer.rank(records)
    kw.setdefault("pool", len(records))
    return Report(entries, "New papers since 2025-11-20", mode="unsent", date="2025-11-22", **kw)


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> Collect:
    p = Collect()
    p.feed(html)
    return p


def test_text_lists_every_item_with_rank_score_id_meta_snippet_terms_url():
    records = [
        rec("Diffusion Policies for Dexterous Robot Manipulation", url="https://arxiv.org/abs/2511.00001",
            authors=["Ada Lovelace", "Alan Turing"], upvotes=12, org="Example Lab",
            links=["https://github.com/example/dex"]),
        rec("Large Language Models as Reinforcement Learning Agents"),
        rec("A Survey of Diffusion"),
    ]
    report = make_report(records)
    report.tags = {records[0]["id"]: ["toread"]}
    text = render_text(report)
    assert text.startswith("New papers since 2025-11-20\n===")
    assert "3 new papers." in text
    first = text.index(" 1. Large Language Models as Reinforcement Learning Agents\n")
    assert first < text.index(" 2. Diffusion Policies") < text.index(" 3. A Survey of Diffusion")
    sid = records[0]["id"][:8]
    assert (f"    score 6.0 · id {sid} · Ada Lovelace, Alan Turing · 2025-11-18 ·\n"
            "    12 upvotes · Example Lab · #toread\n") in text  # wrapped between bits, never inside one
    assert "    We study diffusion for Diffusion Policies" in text
    assert "    matched: diffusion (title +4, abstract +2)\n" in text
    assert "    https://arxiv.org/abs/2511.00001\n    code: https://github.com/example/dex\n" in text
    assert "survey (title -2, abstract -1)" in text
    top = report.entries[0].record["id"][:8]
    assert f"digest tag {top} toread" in text and f"digest explain {top}" in text


def test_text_fits_76_columns_with_cjk_long_words_and_keeps_urls_whole():
    long_url = "https://example.org/" + "a" * 100
    records = [rec(CJK, abstract="我们研究了大规模语言模型在强化学习中的应用。" * 10),
               rec("Averyveryverylongwordwithoutanybreaksatall" * 3 + " diffusion", url=long_url)]
    text = render_text(make_report(records))
    for line in text.splitlines():  # only a URL too long for any line is wider (never broken)
        assert cell_width(line) <= WIDTH or re.fullmatch(r" +(search: arXiv )?https://\S{60,}", line), line
    assert "    " + long_url in text.splitlines()
    assert "大规模语言模型" in text


def test_wrap_glued_runs_and_cell_width():
    assert cell_width("漢字ab") == 6
    lines = wrap("matched: " + "x" * 60 + " term\x00(title\x00+2)", 76, indent="  ")
    assert lines[-1] == "  term (title +2)"
    assert wrap("", 76) == [""]


def test_text_summary_sources_warnings_and_notes():
    report = make_report([rec("Diffusion One"), rec("Diffusion Two")], pool=40,
                         sources=[SourceLine("hf", 90, 30, 0, 60), SourceLine("arxiv", errors=["HTTP 503"])],
                         warnings=["arxiv: HTTP 503 Service Unavailable"],
                         notes=["Not in this mail: 38 beyond the 2 per mail (max_items). `digest show "
                                "--since 2025-11-20 --limit 40` lists them all."])
    text = render_text(report)
    assert "2 papers, the best of 40 not yet emailed." in text
    assert "! arxiv: HTTP 503 Service Unavailable" in text
    assert "`digest show --since 2025-11-20 --limit 40`" in text.replace("\n", " ")
    assert "hf: 30 new, 90 parsed" in text and "arxiv: failed" in text


def test_empty_report_says_nothing_new():
    report = make_report([])
    assert "Nothing new since the last digest." in render_text(report)
    html = render_html(report)
    assert "Nothing new since the last digest." in html


def test_hostile_titles_are_escaped_in_html_and_flattened_in_text():
    records = [rec(HOSTILE, url="javascript:alert(1)", abstract="<img src=x onerror=alert(1)> diffusion"),
               rec(CJK, url="https://arxiv.org/abs/2511.00002"),
               rec(TEX, url='https://example.org/"onmouseover="alert(1)'),
               rec("Links \x1b[31mred\x1b[0m\u202e diffusion", links=["data:text/html,hi", "https://ok.example/x"])]
    report = make_report(records, warnings=["<b>feed</b> failed"])
    report.tags = {records[0]["id"]: ['"><script>x</script>']}
    html = render_html(report)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<b>" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in lowered and "data:text" not in lowered
    assert "\x1b" not in html and "\u202e" not in html
    doc = parse_html(html)
    hrefs = [a["href"] for t, a in doc.tags if t == "a"]
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert "https://ok.example/x" in hrefs
    assert {t for t, _ in doc.tags} <= {"html", "head", "meta", "title", "body", "div", "h1", "p", "span",
                                         "a", "mark", "code", "br"}
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    visible = "".join(doc.text)
    assert "Title Bcc: evil@example.com <script>alert(1)</script> diffusion" in visible
    assert CJK.split(" ")[0] in visible and "$α$-Diffusion: Scaling $\\alpha$ & <b>Robots</b>" in visible
    text = render_text(report)
    assert "Title Bcc: evil@example.com <script>alert(1)</script> diffusion" in text
    assert "\r" not in text and "\x1b" not in text
    assert "javascript:" not in text and "data:text" not in text


def test_html_is_self_contained_inline_styled_and_highlights_terms():
    records = [rec("Diffusion Models Are Large Language Models", url="https://arxiv.org/abs/2511.00003")]
    report = make_report(records)
    report.tags = {records[0]["id"]: ["toread"]}
    html = render_html(report, title="1 new paper for 2025-11-22")
    assert html.startswith("<!DOCTYPE html>")
    assert "<style" not in html and "<link" not in html and "<img" not in html
    assert "src=" not in html and "url(" not in html and "@import" not in html
    assert re.search(r'<mark style="[^"]+">Diffusion</mark>', html)
    assert re.search(r'<mark style="[^"]+">Large Language Models</mark>', html)
    sid = records[0]["id"][:8]
    assert f'title="tag it: digest tag {sid} toread">{sid}</code>' in html
    assert f"digest tag {sid} toread" in html and "#toread" in html
    assert "<title>1 new paper for 2025-11-22</title>" in html
    assert 'name="viewport"' in html


def test_both_parts_show_every_ranked_item_in_order():
    records = [rec(f"Diffusion paper number {i}", upvotes=i) for i in range(1, 26)]
    report = make_report(records)
    text, html = render_text(report), render_html(report)
    visible = "".join(parse_html(html).text)
    titles = [s.record["title"] for s in report.entries]
    assert len(titles) == 25
    assert [text.index(t + "\n") for t in titles] == sorted(text.index(t + "\n") for t in titles)
    at = [visible.index(t + " (search: arXiv)") for t in titles]  # (no page known: a title search)
    assert at == sorted(at)
    for s in report.entries:
        assert s.record["id"][:8] in text and s.record["id"][:8] in html


def test_mute_terms_are_shown_apart_in_both_parts():
    from digest.ranking.score import Hidden

    records = [rec("A survey of diffusion", abstract="A survey of diffusion models and more.")]
    hidden = Hidden()
    scorer = Scorer({"diffusion": 2.0, "survey": -9.0, "tabular": 1.0})
    scorer.rank([rec("Tabular survey", abstract="A survey.")], min_score=0.0, hidden=hidden)
    report = make_report(records, hidden=hidden)
    text = render_text(report)
    assert "muted: survey (title -2, abstract -1)" in text
    assert "matched: diffusion (title +4, abstract +2)" in text
    assert "1 hidden by mute terms: survey (1)." in text
    html = render_html(report)
    assert 'text-decoration:line-through;">survey</mark>' in html
    assert 'background:#fff0a8;color:inherit;">diffusion</mark>' in html
    assert "1 hidden by mute terms: survey (1)." in html


def test_terminal_strikes_mute_words_and_marks_wanted_ones():
    import io

    from digest.render.terminal import make_console, render_terminal

    report = make_report([rec("A survey of diffusion", abstract="A survey of diffusion models.")])
    buf = io.StringIO()
    render_terminal(report, make_console(buf, width=100, force_terminal=True))
    out = buf.getvalue()
    assert re.search(r"\x1b\[[0-9;]*9[0-9;]*msurvey", out)  # struck through (SGR 9)
    assert re.search(r"\x1b\[1;33mdiffusion", out)  # bold yellow


def test_shown_weights_are_rounded_to_two_decimals():
    """A damped weight reads +0.47 in every matched line, not +0.470701."""
    from digest.ranking.score import Match
    from digest.render import grouped_matches, match_label

    groups = grouped_matches([Match("benchmark*", "abstract", 0.470701), Match("benchmark*", "title", 0.941402)])
    assert groups == [("benchmark*", [("abstract", 0.47), ("title", 0.94)])]
    assert match_label(*groups[0])[2] == " (abstract +0.47, title +0.94)"


def test_cell_width_counts_narrow_text_by_length_as_the_per_character_rule_does():
    """cell_width counts text of one-column characters (render.narrow) by its length: for every
    assigned character among them the per-character rule (wide counts two) agrees."""
    import unicodedata

    from digest.render import narrow

    def per_char(t):
        return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in t)

    chars = [chr(c) for c in range(0x20, 0x3000) if narrow(chr(c)) and unicodedata.category(chr(c)) != "Cn"]
    assert [c for c in chars if per_char(c) != 1] == []
    assert cell_width("Müller · 12 upvotes → ⚠") == per_char("Müller · 12 upvotes → ⚠")
    assert cell_width("大规模 model") == 12  # (three wide characters, a space, five letters)
