"""Every paper gets a link in every output (issue 14, defect 1), and no URL is broken across lines.

The link a paper gets is decided once (:func:`digest.render.paper_link`): its own page when known
(the arXiv abstract page when only the arXiv id is), else an arXiv title search, labelled as a
search. ``digest open`` uses the same helper.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.ranking.report import Report
from digest.ranking.score import Scorer
from digest.render import SEARCH_LABEL, paper_link
from digest.render.data import render_json
from digest.render.html import render_html
from digest.render.markdown import render_markdown
from digest.render.terminal import make_console, print_report
from digest.render.text import render_text

PROJECT = "https://blip-diffusion.github.io/projects/blip-diffusion"
CODE = "https://github.com/salesforce/LAVIS/tree/main/projects/blip-diffusion"


def rec(title, **kw):
    import hashlib

    d = {"id": hashlib.sha256(title.encode()).hexdigest()[:16], "title": title,
         "abstract": kw.pop("abstract", f"We study diffusion for {title}."), "authors": [], "n_authors": 4,
         "published": "2025-11-18", "upvotes": 3, "org": None, "links": [], "url": None,
         "first_seen": "2025-11-20T07:30:00Z"}
    d.update(kw)
    return d


DUMP_PAPER = rec("BLIP-Diffusion: Pre-trained Subject Representation for Controllable Text-to-Image Generation",
                 links=[PROJECT, CODE],
                 abstract=f"Subject-driven diffusion models. Project page: {PROJECT}. Code: {CODE}.")
ARXIV_PAPER = rec("Diffusion Policies for Dexterous Robots", arxiv_id="2511.00001", url=None)
PAGE_PAPER = rec("Diffusion With a Page", url="https://arxiv.org/abs/2511.00002", arxiv_id="2511.00002")


def report_of(*records) -> Report:
    entries = Scorer({"diffusion": 2.0}).rank(list(records))
    return Report(entries, "New papers, 2025-11-20", pool=len(records), date="2025-11-20")


def terminal(report: Report, *, width: int = 80, terminal: bool = False) -> str:
    out = io.StringIO()
    print_report(report, make_console(file=out, width=width, force_terminal=terminal, no_color=False))
    return out.getvalue()


def test_the_link_rule_page_then_arxiv_page_then_a_title_search():
    assert paper_link(PAGE_PAPER).url == "https://arxiv.org/abs/2511.00002"
    assert not paper_link(PAGE_PAPER).search
    assert paper_link(ARXIV_PAPER).url == "https://arxiv.org/abs/2511.00001"
    link = paper_link(DUMP_PAPER)
    assert link.search and link.label == SEARCH_LABEL == "search: arXiv"
    assert link.url.startswith("https://arxiv.org/search/?query=BLIP-Diffusion")
    assert "searchtype=title" in link.url and " " not in link.url
    assert paper_link(rec("Evil", url="javascript:alert(1)")).search  # an unsafe url is no page


def test_every_paper_gets_a_link_in_every_output():
    report = report_of(DUMP_PAPER, ARXIV_PAPER, PAGE_PAPER)
    search = paper_link(DUMP_PAPER).url
    outputs = {"terminal": terminal(report), "text": render_text(report), "markdown": render_markdown(report)}
    for name, out in outputs.items():
        for r in (ARXIV_PAPER, PAGE_PAPER):
            assert paper_link(r).url in out, name
        assert search in out, name
        line = next(line for line in out.splitlines() if search in line)
        assert SEARCH_LABEL in line, (name, line)  # said to be a search, on the same line
    html = render_html(report)
    hrefs = re.findall(r'<a href="([^"]+)"', html)
    assert search.replace("&", "&amp;") in hrefs
    assert "https://arxiv.org/abs/2511.00001" in hrefs and "https://arxiv.org/abs/2511.00002" in hrefs
    assert SEARCH_LABEL in html
    md = outputs["markdown"]
    assert "**[BLIP-Diffusion" in md and f"]({search})** ({SEARCH_LABEL})" in md


def test_json_url_stays_honest_and_link_says_what_it_is():
    data = {d["title"]: d for d in json.loads(render_json(report_of(DUMP_PAPER, ARXIV_PAPER)))}
    dump = data[DUMP_PAPER["title"]]
    assert dump["url"] is None  # no page is known: never a search in `url`
    assert dump["link"] == {"url": paper_link(DUMP_PAPER).url, "search": True}
    assert data[ARXIV_PAPER["title"]]["link"] == {"url": "https://arxiv.org/abs/2511.00001", "search": False}


def test_code_and_project_links_are_labelled_in_every_output():
    report = report_of(DUMP_PAPER)
    for out in (terminal(report), render_text(report)):
        assert f"code: {CODE}" in out and f"project: {PROJECT}" in out
    html = render_html(report)
    assert f'<a href="{CODE}"' in html and f'<a href="{PROJECT}"' in html
    assert f"[code]({CODE})" in render_markdown(report)


def urls_are_whole(out: str, urls) -> None:
    for url in urls:
        assert any(url in line for line in out.splitlines()), (url, out)


def test_terminal_never_breaks_a_url_at_80_or_40_columns():
    report = report_of(DUMP_PAPER)
    for width in (80, 120, 40):
        out = terminal(report, width=width)
        urls_are_whole(out, [PROJECT, CODE, paper_link(DUMP_PAPER).url])
        for line in out.splitlines():  # a line wider than the terminal is a URL that cannot fit
            if len(line) > width:
                assert re.search(rf"https?://\S{{{width // 3},}}", line), (width, line)


def test_text_part_never_breaks_a_url():
    urls_are_whole(render_text(report_of(DUMP_PAPER)), [PROJECT, CODE, paper_link(DUMP_PAPER).url])


def test_code_and_project_links_are_terminal_hyperlinks_only_in_a_terminal():
    report = report_of(DUMP_PAPER, PAGE_PAPER)
    out = terminal(report, terminal=True)
    for url in (CODE, PROJECT, paper_link(DUMP_PAPER).url, "https://arxiv.org/abs/2511.00002"):
        assert "\x1b]8;id=" in out and f";{url}\x1b\\" in out, url
    piped = terminal(report, terminal=False)
    assert "\x1b" not in piped


def test_open_uses_the_same_link(tmp_path, data_dir):
    runner = CliRunner()
    day1 = str(data_dir / "cli" / "day1.txt")
    runner.invoke(cli, ["ingest", day1, "--date", "2025-11-20"], catch_exceptions=False)
    shown = json.loads(runner.invoke(cli, ["show", "--format", "json", "--min-score", "-99"]).stdout)
    for paper in shown:
        r = runner.invoke(cli, ["open", paper["short_id"], "--print"], catch_exceptions=False)
        assert r.stdout.strip() == paper["link"]["url"]


# --------------------------------------------------------------------------- issue 14, item 9 (outputs)
def test_summary_wording_every_mode_and_singular_upvote():
    one = rec("Diffusion Alone", upvotes=1)
    entries = Scorer({"diffusion": 2.0}).rank([one])
    want = {"new": "showing 1 of 1 new paper", "all": "showing 1 of 1 stored paper",
            "since": "showing 1 of 1 paper first seen in this period",
            "unsent": "showing 1 of 1 paper not yet emailed"}
    for mode, text in want.items():
        assert Report(entries, "h", mode=mode, pool=1).summary() == text  # type: ignore[arg-type]
    assert Report(entries, "h", mode="since", pool=4).summary() == "showing 1 of 4 papers first seen in this period"
    report = report_of(one)
    for out in (terminal(report), render_text(report), render_html(report), render_markdown(report)):
        assert "1 upvote" in out and "1 upvotes" not in out


def test_a_narrow_terminal_hangs_the_body_instead_of_a_19_column_indent():
    report = report_of(DUMP_PAPER, ARXIV_PAPER)
    out = terminal(report, width=40)
    lines = out.splitlines()
    body = [line for line in lines[3:] if line.strip() and not re.match(r" ?\d+\.", line)]
    assert body and all(line.startswith("    ") and line[4] != " " for line in body), out
    for line in lines:
        assert len(line) <= 40 or re.search(r"https?://\S{14,}", line), line
    wide = terminal(report, width=80).splitlines()
    assert any(line.startswith(" " * 19) and line[19] != " " for line in wide)  # wide: beside the id


def test_html_dates_never_break_at_their_hyphen():
    report = report_of(rec("Diffusion Dated"))
    report.heading = "New papers since 2025-11-19"
    html = render_html(report)
    for day in ("2025-11-19", "2025-11-18"):  # the heading, the paper's date
        assert f'<span style="white-space:nowrap">{day}</span>' in html
    body = re.sub(r'href="[^"]*"', "", html.split("<body", 1)[1])
    assert not re.search(r"(?<!>)\b20\d\d-\d\d-\d\d\b(?!</span>)", body)


def test_folded_cross_lists_come_last_one_line_each_in_every_output():
    cross = rec("Diffusion From Elsewhere", arxiv_id="2511.00009", cross_list=True, categories=["cs.CL", "cs.LG"],
                abstract="We study diffusion from elsewhere, in depth.")
    home = rec("Diffusion At Home", arxiv_id="2511.00010", cross_list=False, categories=["cs.LG"])
    report = report_of(cross, home)
    report.cross_lists = "fold"
    outs = {"terminal": terminal(report), "text": render_text(report), "markdown": render_markdown(report),
            "html": render_html(report)}
    for name, out in outs.items():
        assert out.index("At Home") < out.index("Cross-lists (1)") < out.index("From Elsewhere"), name
        assert "cross-list from cs.CL" in out and "in depth" not in out, name
        assert "https://arxiv.org/abs/2511.00009" in out, name
    report.cross_lists = "show"
    assert "Cross-lists" not in terminal(report) and "cross-list from cs.CL" in terminal(report)


def test_markdown_links_stay_links_whatever_their_url_holds(tmp_path):
    """A URL ending in a backslash (or holding one before a parenthesis) made `\\)` in
    ``[code](...)``: Markdown reads that as an escaped ``)``, so the link was no link and took
    the rest of the line with it. Every URL character Markdown could read is percent-encoded."""
    markdown_it = pytest.importorskip("markdown_it")
    urls = ["https://github.com/lab/repo\\", "https://example.org/a\\b(c)\\", "https://github.com/x*y_z*[1]"]
    papers = [{"paper": {"id": f"2512.{40001 + i}", "title": f"Diffusion with odd links {i}",
                         "summary": "diffusion", "authors": [{"name": "Ada Lovelace"}],
                         "publishedAt": "2025-12-01T00:00:00.000Z", "githubRepo": url, "projectPage": url},
               "title": f"Diffusion with odd links {i}", "publishedAt": "2025-12-01T00:00:00.000Z"}
              for i, url in enumerate(urls)]
    src = tmp_path / "daily_papers.json"
    src.write_text(json.dumps(papers), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(src)]).exit_code == 0
    show = runner.invoke(cli, ["show", "--format", "markdown"])
    ids = [json.loads(line)["id"] for line in
           runner.invoke(cli, ["export", "--untagged", "--format", "jsonl"]).stdout.splitlines()]
    assert runner.invoke(cli, ["tag", *ids, "-t", "toread"]).exit_code == 0
    export = runner.invoke(cli, ["export", "--format", "markdown"])
    md = markdown_it.MarkdownIt("commonmark")
    for out in (show.stdout, export.stdout):
        hrefs = [t.attrGet("href") for tok in md.parseInline(out) if tok.children
                 for t in tok.children if t.type == "link_open"]
        for url in urls:
            # (the parentheses are percent-encoded, as they always were)
            assert md.normalizeLink(url.replace("(", "%28").replace(")", "%29")) in hrefs, (url, hrefs, out)
        for i in range(len(urls)):
            assert f"[Diffusion with odd links {i}](https://arxiv.org/abs/2512.{40001 + i})" in out
        assert "\\)" not in out
