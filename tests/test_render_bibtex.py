"""BibTeX export: parses with pybtex, LaTeX specials escaped, keys unique and stable."""

from __future__ import annotations

import random
import re

import pytest

from digest.readinglist import Entry, Note
from digest.render.bibtex import base_key, cite_keys, latex, render_bibtex, title_latex

pybtex_database = pytest.importorskip("pybtex.database")

NASTY = r"Costs & Benefits: 100% of $α$-VAE_v2 {Nested} #1 ~ ^ C:\path"


def rec(i: int = 0, **kw) -> dict:
    d = {"id": f"{i:016x}", "title": f"Paper {i}", "abstract": "", "authors": [], "n_authors": None,
         "published": "2025-11-18", "arxiv_id": None, "url": None, "categories": [],
         "first_seen": f"2025-11-{10 + i % 10:02d}T00:00:00Z"}
    d.update(kw)
    return d


def entry(r: dict, tags=(), notes=()) -> Entry:
    return Entry(r, list(tags), [Note("2025-11-20T00:00:00Z", n) for n in notes], "")


def parse(text: str):
    return pybtex_database.parse_string(text, "bibtex")  # strict: raises on errors and duplicate keys


# A strict reader of our own: undo exactly the escapes a field may contain, and fail
# on anything that LaTeX would read as a special character.
_UNESCAPE = [(r"\textbackslash{}", "\\"), (r"\textasciitilde{}", "~"), (r"\textasciicircum{}", "^"),
             (r"\textbraceleft{}", "{"), (r"\textbraceright{}", "}")]


def strict_text(value: str) -> str:
    out = []
    i = 0
    depth = 0
    while i < len(value):
        for esc, plain in _UNESCAPE:
            if value.startswith(esc, i):
                out.append(plain)
                i += len(esc)
                break
        else:
            c = value[i]
            if c == "\\":
                nxt = value[i + 1 : i + 2]
                assert nxt in "&%$#_{}", f"unexpected command at {value[i:i + 12]!r}"
                out.append(nxt)
                i += 2
                continue
            if c == "$":  # kept math: copy through to the closing $
                j = value.index("$", i + 1)
                out.append(value[i : j + 1])
                i = j + 1
                continue
            assert c not in "&%#_~^", f"unescaped {c!r} in {value!r}"
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                assert depth >= 0, f"unbalanced braces in {value!r}"
            else:
                out.append(c)
            i += 1
    assert depth == 0, f"unbalanced braces in {value!r}"
    return "".join(out)


# --------------------------------------------------------------------------- escaping
def test_title_with_every_special_character_round_trips():
    r = rec(1, title=NASTY, abstract="We save 5% & more_than {x}.", authors=["Zoë Ångström", "Bob O'Neil"])
    text = render_bibtex([entry(r)])
    db = parse(text)
    (key,) = db.entries
    fields = db.entries[key].fields
    title = fields["title"]
    assert r"\&" in title and r"100\%" in title and r"\_v2" in title and r"\#1" in title
    assert "{$\\alpha$}" in title  # α in math becomes \alpha, braced against re-casing
    assert strict_text(title) == NASTY.replace("$α$", "$\\alpha$")
    assert strict_text(fields["abstract"]) == "We save 5% & more_than {x}."
    persons = db.entries[key].persons["author"]
    assert [str(p) for p in persons] == ["Ångström, Zoë", "O'Neil, Bob"]


@pytest.mark.parametrize("text, expected", [
    ("A & B", r"A \& B"), ("50%", r"50\%"), ("$5 fee", r"\$5 fee"), ("#1", r"\#1"), ("a_b", r"a\_b"),
    ("{x}", r"\{x\}"), ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}"), ("a\\b", r"a\textbackslash{}b"),
    ("} unbalanced {", r"\textbraceright{} unbalanced \textbraceleft{}"),
    (r"$\alpha$-VAE", r"$\alpha$-VAE"), ("$x^2_i$", "$x^2_i$"),
    ("price $5 and $10", r"price \$5 and \$10"),
])
def test_latex_escapes(text, expected):
    assert latex(text) == expected


@pytest.mark.parametrize("evil", [r"$\input{/etc/passwd}$", r"$\immediate\write18{rm -rf ~}$", "$^^5cinput x$",
                                  r"$\def\x{y}$", "$a % comment$", "$a & b$", "$\\alpha}{$"])
def test_math_that_could_run_commands_is_escaped_as_text(evil):
    out = latex(evil)
    assert out.startswith(r"\$")  # not kept as math
    assert strict_text(out) == evil
    parse("@misc{k, title = {" + title_latex(evil) + "}}")


@pytest.mark.parametrize("title", [r"Interval $[0,1\}$ open", r"Set $\{x$ only", r"$\text{\}}$ end",
                                   r"$\{ x \} \}$ then {text}"])
def test_escaped_braces_in_math_stay_balanced_for_bibtex(title):
    """BibTeX counts every brace, backslash or not: math whose \\{ and \\} do not pair up is
    escaped as text, or the entry (and every entry after it) is cut short."""
    db = parse("@misc{k, title = {" + title_latex(title) + "}}\n@misc{after, title = {Next}}\n")
    assert list(db.entries) == ["k", "after"]
    assert db.entries["after"].fields["title"] == "Next"
    assert strict_text(db.entries["k"].fields["title"]).replace(" ", "") == title.replace(" ", "")
    out = latex(title)
    assert out.count("{") == out.count("}")


def test_titles_protect_acronyms_and_camel_case():
    t = title_latex("LLMs Beat ImageNet Models with GPT-4 and mmWave Radar: A Study")
    assert t == "{LLMs} Beat {ImageNet} Models with {GPT-4} and {mmWave} Radar: A Study"


def test_control_characters_and_newlines_are_cleaned():
    assert latex("a\x1b[31mb\nc") == "a [31mb c"


# --------------------------------------------------------------------------- entries
def test_arxiv_entry_fields():
    r = rec(2, title="Sparse Pre-Training", authors=["Anna Schmidt", "Li Wei", "The A and B Team"],
            arxiv_id="2511.01234", categories=["cs.LG", "cs.CL"], url="https://arxiv.org/abs/2511.01234",
            published="2025-11-03", abstract="Short.")
    text = render_bibtex([entry(r, tags=["toread", "cite"], notes=["read §3 & 4"])])
    assert text.startswith("@misc{schmidt2025sparse,\n")
    assert "  month         = nov,\n" in text  # a month macro, unbraced
    e = parse(text).entries["schmidt2025sparse"]
    f = e.fields
    assert f["eprint"] == "2511.01234" and f["archivePrefix"] == "arXiv" and f["primaryClass"] == "cs.LG"
    assert f["year"] == "2025" and f["url"] == "https://arxiv.org/abs/2511.01234"
    assert f["keywords"] == "toread, cite" and f["annote"] == r"read §3 \& 4"
    assert [str(p) for p in e.persons["author"]] == ["Schmidt, Anna", "Wei, Li", "{The A and B Team}"]


def test_entry_without_authors_or_arxiv_id():
    r = rec(3, title="A Survey of Tabular Benchmarks", n_authors=2, url=None,
            links=["https://github.com/x/y"], published=None, first_seen="2024-10-02T00:00:00Z")
    text = render_bibtex([entry(r)])
    e = parse(text).entries["anonsurvey"]
    assert "author" not in e.persons and "author" not in e.fields  # only a count was known: no invented names
    assert "eprint" not in e.fields and "url" not in e.fields  # a code link is not the paper's page
    # no publication date known: no year (the ingest date is not the paper's date), none in the key
    assert "year" not in e.fields and "month" not in e.fields


def test_no_year_is_invented_when_the_date_is_unknown():
    """Issue 14, defect 2: a paper first stored in 2026 without a publication date got
    `year = {2026}` and the key anon2026...; the year is left out instead."""
    r = rec(6, title="Sparse Things", published=None, first_seen="2026-11-20T07:30:00Z")
    text = render_bibtex([entry(r)])
    assert "2026" not in text
    assert base_key(r) == "anonsparse"
    assert "year" not in parse(text).entries["anonsparse"].fields
    dated = render_bibtex([entry(rec(7, title="Sparse Things", published="2025-03-01"))])
    assert "year  = {2025}" in dated and "month = mar" in dated


def test_arxiv_url_is_derived_and_bad_ids_are_dropped():
    good = render_bibtex([entry(rec(4, arxiv_id="math/0309136", categories=["math.GT"]))])
    assert "url           = {https://arxiv.org/abs/math/0309136}" in good
    bad = render_bibtex([entry(rec(5, arxiv_id="not an id}", url="javascript:alert(1)"))])
    assert "eprint" not in bad and "url" not in bad
    parse(good)
    parse(bad)


# --------------------------------------------------------------------------- keys
def test_base_key_scheme():
    assert base_key(rec(authors=["José Álvarez-Núñez"], title="The Quiet Diffusion", published="2024-01-02")) \
        == "alvareznunez2024quiet"
    assert base_key(rec(authors=["Smith, John"], title="On a Thing")) == "smith2025thing"
    assert base_key(rec(authors=["Martin Luther King Jr."], title="x")) == "king2025paper"
    assert base_key(rec(authors=["李雷"], title="深度学习")) == "anon2025paper"


def test_keys_are_unique_and_stable():
    same = [rec(i, title="Diffusion Everywhere", authors=["Ann Lee"], first_seen=f"2025-11-{10 + i}T00:00:00Z")
            for i in range(4)]
    other = [rec(9, title="Diffusion Everywhereb", authors=["Ann Lee"])]  # its base key is a suffixed one
    recs = same + other
    keys = cite_keys(recs)
    assert len(set(keys.values())) == len(recs)
    assert [keys[r["id"]] for r in same] == ["lee2025diffusion", "lee2025diffusionb", "lee2025diffusionc",
                                             "lee2025diffusiond"]  # by first seen: older papers keep theirs
    shuffled = recs[:]
    random.Random(4).shuffle(shuffled)
    assert cite_keys(shuffled) == keys
    text = render_bibtex([entry(r) for r in shuffled])
    assert render_bibtex([entry(r) for r in shuffled]) == text
    db = parse(text)
    assert set(db.entries) == set(keys.values())
    assert all(re.fullmatch(r"[a-z0-9\-]+", k) for k in keys.values())


def test_a_paper_stored_later_does_not_take_an_existing_key():
    old = rec(1, title="Diffusion", authors=["Ann Lee"], first_seen="2025-01-01T00:00:00Z")
    first = cite_keys([old])[old["id"]]
    newer = rec(0, title="Diffusion", authors=["Ann Lee"], first_seen="2025-06-01T00:00:00Z")  # smaller id
    assert cite_keys([newer, old])[old["id"]] == first


def test_empty_export_is_empty():
    assert render_bibtex([]) == ""
