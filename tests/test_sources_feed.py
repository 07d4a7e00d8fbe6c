"""digest.sources.feed: RSS/Atom parsing, arXiv formats, hostile documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from digest.errors import InputError
from digest.sources import feed as feedmod
from digest.sources import xmlsafe
from digest.sources.feed import parse_feed
from digest.sources.xmlsafe import neutralise_doctype

REPO = Path(__file__).resolve().parent.parent


def _parse(path: Path):
    return parse_feed(path.read_bytes(), source=path.name)


def _by_id(result):
    return {item.arxiv_id: item for item in result.items}


# --------------------------------------------------------------------------- every real file


def _shared_files(sub: str) -> list[str]:
    # the same place conftest's shared_dir fixture uses; parametrisation needs the names early
    shared = Path(os.environ.get("DIGEST_SHARED_DIR", REPO.parent / "shared"))
    folder = shared / "feeds" / sub
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ["(absent)"]


@pytest.mark.parametrize(
    "rel", [f"arxiv/{n}" for n in _shared_files("arxiv")] + [f"tricky/{n}" for n in _shared_files("tricky")]
)
def test_every_real_feed_parses_or_fails_cleanly(shared_dir, rel):
    path = shared_dir / "feeds" / rel
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    start = time.monotonic()
    try:
        result = _parse(path)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(path.name + ": ")
        return
    finally:
        assert time.monotonic() - start < 2.0, "a single small feed must never take seconds"
    assert result.kind == "feed" and result.source == path.name
    for item in result.items:
        assert item.title and "\n" not in item.title and "  " not in item.title
        assert "\n" not in item.abstract
        assert len(item.title) <= feedmod.MAX_TITLE_CHARS
        assert all(link.startswith(("http://", "https://")) for link in item.links)
        assert item.published is None or len(item.published) == 10
    for warning in result.warnings:
        assert "\n" not in warning


# --------------------------------------------------------------------------- real arXiv files


def test_rss_arxiv_org_atom_listing(shared_dir):
    result = _parse(shared_dir / "feeds/arxiv/rss_arxiv_org_atom_cs.AI_2025-08-20.xml")
    assert len(result.items) == 7
    assert result.warnings == []
    assert result.date == "2025-08-20"
    items = _by_id(result)
    assert list(items) == [
        "2508.13426", "2508.13428", "2508.13429", "2508.13434", "2508.13435", "2508.14001", "2508.14002",
    ]
    first = items["2508.13426"]
    assert first.arxiv_version == 1
    assert first.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert first.n_authors == 3
    assert first.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert first.categories == ["cs.CL", "cs.AI"]
    assert first.published == "2025-08-20"
    assert first.url == "https://arxiv.org/abs/2508.13426"
    assert first.links[:2] == ["https://arxiv.org/abs/2508.13426", "https://arxiv.org/pdf/2508.13426"]
    for item in result.items:
        assert "Announce Type" not in item.abstract
        assert not item.abstract.startswith(("arXiv:", "Abstract:"))
        assert "v" not in item.arxiv_id
    assert items["2508.13428"].categories == ["cs.CV", "cs.AI", "cs.MM"]
    # "Announce Type: cross" without the trailing space, and a TeX accent in dc:creator
    assert items["2508.13435"].abstract == "Spectral graph embedding methods are widely used."
    assert items["2508.13429"].authors == ["Paulo André Lima de Castro"]
    assert items["2508.14001"].authors == ["Alice Smith", "Bob Jones"]


def test_api_search_ten_entries(shared_dir):
    result = _parse(shared_dir / "feeds/arxiv/api2026_search_testing_m10.xml")
    assert len(result.items) == 10
    items = _by_id(result)
    tcp = items["2405.13786"]
    assert tcp.authors == ["Aurora Ramírez", "Mario Berrios", "José Raúl Romero", "Robert Feldt"]
    assert tcp.categories[0] == "cs.SE" and tcp.categories == ["cs.SE", "cs.AI"]
    assert items["1205.1866"].categories == ["cs.AR"]
    assert items["2204.08348"].arxiv_version == 3
    assert items["2202.12139"].links == [
        "https://arxiv.org/abs/2202.12139",
        "https://arxiv.org/pdf/2202.12139",
        "https://doi.org/10.1109/ICSTW55395.2022.00035",
    ]
    # the multi-paragraph abstract is one line, and "&amp;" in a journal ref does not leak
    assert "\n" not in items["1812.11470"].abstract
    assert items["1812.11470"].abstract.startswith("Context. Multiple automated techniques")
    assert all(item.published and item.published[:2] in ("19", "20") for item in result.items)


def test_api_error_answer_is_an_input_error(shared_dir):
    with pytest.raises(InputError) as info:
        _parse(shared_dir / "feeds/arxiv/api2026_error_bad_id_http400.xml")
    assert "arXiv API error: incorrect id format for abc" in str(info.value)


def test_api_old_style_id(shared_dir):
    result = _parse(shared_dir / "feeds/arxiv/api2026_oldstyle_id_astro-ph_0601001.xml")
    (item,) = result.items
    assert item.arxiv_id == "astro-ph/0601001"
    assert item.arxiv_version == 1
    assert item.url == "https://arxiv.org/abs/astro-ph/0601001"
    assert item.links == ["https://arxiv.org/abs/astro-ph/0601001", "https://arxiv.org/pdf/astro-ph/0601001"]
    assert item.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert item.categories == ["astro-ph"]
    assert item.published == "2006-01-02"
    assert "Gould & Morgan (2003)" in item.abstract and "V_max<17.5" in item.abstract


def test_api_zero_results_is_valid(shared_dir):
    result = _parse(shared_dir / "feeds/arxiv/api2026_empty_zero_results.xml")
    assert result.items == [] and result.warnings == []


def test_api_2016_wrapped_title(shared_dir):
    (item,) = _parse(shared_dir / "feeds/arxiv/api2016_search_wrapped_title.xml").items
    assert item.title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched disorder"
    )
    assert item.arxiv_id == "cond-mat/0603029" and item.arxiv_version == 1
    assert item.url == "https://arxiv.org/abs/cond-mat/0603029"  # https, although the feed says http
    assert item.categories == ["cond-mat.str-el", "cond-mat.supr-con"]
    assert "http://dx.doi.org/10.1103/PhysRevB.74.024520" in item.links


# --------------------------------------------------------------------------- real tricky files


def test_corrupted_ampersands_link(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/feedparser__illformed_rss_item_link_corrupted_ampersands.xml")
    # the only item has a link and nothing else: skipped, and named by its (correct) link
    assert result.items == []
    joined = " ".join(result.warnings)
    assert "http://link/get?a=1&b=2" in joined and "&b;" not in joined
    assert "malformed" in joined


def test_crazy_title_is_plain_text(shared_dir):
    (item,) = _parse(shared_dir / "feeds/tricky/feedparser__wellformed_sanitize_entry_title_crazy.xml").items
    assert "<" not in item.title and ">" not in item.title  # no tag survives, not even as text
    assert item.title.startswith("Crazy HTML -- Can Your Regex Parse This?")
    assert "Did The Javascript Execute?" in item.title
    assert "I will execute here, too, if you mouse over me" in item.title
    assert "alert(" not in item.title  # sanitised away by feedparser, not merely unescaped
    # what remains is the text between the tags, e.g. the body of the (commented-out) script
    assert "function executeMe() { /*" in item.title


def test_base64_summary_script_removed(shared_dir):
    (item,) = _parse(shared_dir / "feeds/tricky/feedparser__wellformed_sanitize_entry_summary_script_base64.xml").items
    assert item.abstract == "safe description"
    assert item.title == "safe description"  # untitled entry, titled from its summary
    assert "location" not in item.abstract


def test_always_strip_doctype_no_network(shared_dir, monkeypatch):
    import socket
    import urllib.request

    def forbidden(*args, **kwargs):
        raise AssertionError("a feed made us open a connection")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    path = shared_dir / "feeds/tricky/feedparser__illformed_always_strip_doctype.xml"
    result = _parse(path)
    assert result.items == [] and result.warnings == []
    import io

    import feedparser

    # the channel title "found" survives our DOCTYPE removal
    parsed = feedparser.parse(io.BytesIO(neutralise_doctype(path.read_bytes()).data))
    assert parsed.feed.title == "found" and not parsed.bozo
    assert b"DOCTYPE" not in neutralise_doctype(path.read_bytes()).data


def test_safe_internal_entity_is_expanded(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/feedparser__wellformed_rss_entity_in_doctype.xml")
    # the item has only a guid: it is skipped and named by it, with &id; expanded
    assert "tag:example.com,2006-05-04:/blog/" in " ".join(result.warnings)


def test_rdf_doctype_with_parameter_entity(shared_dir):
    data = (shared_dir / "feeds/tricky/feedparser__wellformed_rdf_doctype_contains_entity_decl.xml").read_bytes()
    safe = neutralise_doctype(data)
    assert b"DOCTYPE" not in safe.data and b"ENTITY" not in safe.data and b"w3.org/TR" not in safe.data
    assert parse_feed(data, source="rdf").items == []


def test_tumblr_linebreak_title_feed(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/rss2email__tumblr_linebreak_title_feed.rss")
    assert len(result.items) == 20 and result.warnings == []
    titles = [item.title for item in result.items]
    assert titles.count("Photo") == 12
    assert all("\n" not in t for t in titles)
    trailer = next(i for i in result.items if i.title.startswith("A little trailer"))
    assert trailer.abstract == "A little trailer for Oddball! Preorder here."
    assert trailer.published == "2021-10-26"
    assert trailer.url == "https://sarahcandersen.com/post/666125500611215360"
    assert result.items[0].categories == ["LOL", "comics", "Sarah Andersen"]
    # HTML descriptions become text: no tags left, but a literal "<3" is text and stays
    assert not any(tag in item.abstract for item in result.items for tag in ("<p", "<img", "<br", "<a ", "&lt;"))
    assert sum("Stay odd <3" in item.abstract for item in result.items) == 2
    assert result.items[0].abstract == ""  # an image-only description has no text


def test_utf16_feed(shared_dir):
    data = (shared_dir / "feeds/tricky/feedparser__encoding_utf-16le-bom.xml").read_bytes()
    assert data[:2] == b"\xff\xfe"
    result = parse_feed(data, source="u16")
    assert result.items == [] and result.warnings == []
    assert neutralise_doctype(data).data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def test_empty_document_and_broken_ones(shared_dir):
    tricky = shared_dir / "feeds/tricky"
    with pytest.raises(InputError, match="empty feed"):
        _parse(tricky / "feedparser__illformed_rss_empty_document.xml")
    with pytest.raises(InputError, match="not a usable feed: line 7, column 0: unclosed token"):
        _parse(tricky / "feedparser__illformed_aaa_illformed.xml")
    with pytest.raises(InputError, match="unbound prefix"):
        _parse(tricky / "feedparser__illformed_undeclared_namespace.xml")


def test_incomplete_cdata_does_not_hang(shared_dir):
    start = time.monotonic()
    result = _parse(shared_dir / "feeds/tricky/feedparser__illformed_rss_incomplete_cdata.xml")
    assert time.monotonic() - start < 1.0
    assert result.items == []
    assert any("malformed" in w for w in result.warnings)


def test_bozo_with_recovered_entries_warns(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/feedparser__illformed_chardet_koi8r.xml")
    assert len(result.items) == 1
    assert result.warnings == [
        "feedparser__illformed_chardet_koi8r.xml: feed is malformed "
        "(document declared as utf-8, but parsed as windows-1252); 1 entry recovered"
    ]


def test_bbc_chinese(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/rss2email__bbc-chinese_feed.atom")
    assert result.items[0].title == "白宫提名艾伦为北约最高司令官"
    assert result.items[0].published == "2013-01-23"
    assert result.items[0].arxiv_id is None


def test_demoronize(shared_dir):
    (item,) = _parse(shared_dir / "feeds/tricky/feedparser__encoding_demoronize-1.xml").items
    assert item.abstract == "don\u2019t"


# --------------------------------------------------------------------------- our own fixtures


def test_rss20_fixture(data_dir):
    result = _parse(data_dir / "feeds/rss20_blog.xml")
    assert result.date == "2025-08-21"
    first, wrapped, untitled = result.items
    assert first.title == "Sparse Mixtures for Tiny Devices"
    assert first.abstract == "We show that sparse mixtures fit on a phone. Second paragraph & more."
    assert first.url == "https://lab.example.org/posts/sparse-mixtures?utm=rss&ref=feed"
    assert first.authors == ["Ada Example", "Brook Sample"]
    assert first.categories == ["efficiency", "mobile"]
    assert first.published == "2025-08-21"  # the date as the feed wrote it, not shifted to UTC
    assert first.arxiv_id is None
    assert wrapped.title == "A note with a hard-wrapped title"
    assert wrapped.authors == ["Casey Editor"]
    assert untitled.title == "An item with only a description, as RSS 2.0 allows."
    assert untitled.links == [] and untitled.url is None  # javascript: link dropped
    assert any("1 entry without a title was titled from its summary" in w for w in result.warnings)
    assert any("neither title nor summary" in w and "posts/empty" in w for w in result.warnings)


def test_rss10_fixture(data_dir):
    result = _parse(data_dir / "feeds/rss10_rdf.xml")
    assert result.date == "2025-08-19"
    calibrated, mirror = result.items
    assert calibrated.authors == ["Dana Invented", "Eli Madeup"]
    assert calibrated.categories == ["graphs"] and calibrated.published == "2025-08-18"
    assert mirror.arxiv_id == "2508.21003" and mirror.arxiv_version == 2
    assert mirror.url == "https://arxiv.org/abs/2508.21003"
    assert mirror.authors == ["Fay Notreal", "Gus Fictive"]  # "A and B" with full names is split


def test_atom_fixture(data_dir):
    result = _parse(data_dir / "feeds/atom_generic.xml")
    html_entry, plain_entry = result.items
    assert html_entry.title == "Attention is Mostly Enough & Cheap"
    assert html_entry.abstract == "Notes on cheap attention. H2O is water; 1 < 2."
    assert html_entry.links == [
        "https://reading.example.com/2025/attention",
        "https://reading.example.com/2025/attention.pdf",
    ]
    assert html_entry.published == "2025-08-21"
    assert html_entry.categories == ["nlp", "efficiency"]
    # a plain-text title is taken literally: no tag stripping
    assert plain_entry.title == "Only updated, plain text title with x<y"
    assert plain_entry.abstract == "Plain summary with <tags> kept as text."
    assert plain_entry.published == "2025-08-20"  # falls back to <updated>


def test_arxiv_rss2_fixture(data_dir):
    items = _by_id(_parse(data_dir / "feeds/arxiv_rss_cs_LG.xml"))
    new = items["2508.21001"]
    assert new.authors == ["Jana Fictional", "Karl Z. Invented", "Lee Madeup"]  # ", and" split
    assert new.abstract.startswith("We study how low-rank adapters forget.")
    replaced = items["2507.11002"]
    assert replaced.arxiv_version == 3 and replaced.authors == ["Mia Notreal", "Nils Example"]
    assert replaced.abstract.startswith("We fit scaling laws")
    cross = items["2508.21003"]
    assert cross.abstract == 'Reward models should be allowed to say "I don\'t know" when x < y.'
    assert cross.authors == ["Fay Notreal", "Gus Fictive", "René Examplë"]


def test_arxiv_api_fixture_primary_category_first(data_dir):
    items = _by_id(_parse(data_dir / "feeds/arxiv_api_like.xml"))
    lora = items["2508.21001"]
    assert lora.title == "Low-Rank Adapters That Forget Gracefully"
    assert lora.categories == ["cs.LG", "cs.CL", "stat.ML"]
    assert lora.arxiv_version == 2 and lora.published == "2025-08-20"
    assert lora.links == [
        "https://arxiv.org/abs/2508.21001",
        "https://arxiv.org/pdf/2508.21001",
        "https://doi.org/10.0000/invented.21001",
    ]
    knots = items["math/0309136"]
    assert knots.arxiv_version == 3 and knots.url == "https://arxiv.org/abs/math/0309136"


def test_same_paper_same_id_across_feed_formats(data_dir):
    a = _by_id(_parse(data_dir / "feeds/arxiv_api_like.xml"))["2508.21001"]
    b = _by_id(_parse(data_dir / "feeds/arxiv_rss_cs_LG.xml"))["2508.21001"]
    assert a.id == b.id


# --------------------------------------------------------------------------- small documents


def _rss(items: str, prolog: str = "") -> bytes:
    return f'<?xml version="1.0"?>{prolog}<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\xef\xbb\xbf", b"<!-- only a comment -->\n"])
def test_empty_feed(data):
    with pytest.raises(InputError, match="empty feed"):
        parse_feed(data, source="e")


def test_not_xml_and_not_a_feed():
    with pytest.raises(InputError, match="not an XML feed"):
        parse_feed(b"just some words", source="w")
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(b"<?xml version='1.0'?><catalog><book>x</book></catalog>", source="x")


def test_caps_and_truncation():
    long_title = "word " * 400
    long_abstract = "sentence " * 5000
    authors = "".join(f"<dc:creator>Author Number{i}</dc:creator>" for i in range(700))
    doc = (
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>'
        f"<title>{long_title}</title><description>{long_abstract}</description>{authors}"
        "</item></channel></rss>"
    ).encode()
    (item,) = parse_feed(doc, source="caps").items
    assert len(item.title) <= feedmod.MAX_TITLE_CHARS
    assert len(item.abstract) <= feedmod.MAX_ABSTRACT_CHARS
    assert item.abstract.endswith("…") and item.truncated
    assert len(item.authors) == feedmod.MAX_AUTHORS and item.n_authors == 700


def test_str_input_is_accepted():
    (item,) = parse_feed(
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item><title>Café</title></item></channel></rss>',
        source="s",
    ).items
    assert item.title == "Café"


def test_split_authors_rules():
    assert feedmod.split_authors(["Doe, Jane"], arxiv=False) == ["Doe, Jane"]
    assert feedmod.split_authors(["Jane Doe, John Roe"], arxiv=False) == ["Jane Doe", "John Roe"]
    assert feedmod.split_authors(["A. One, Prabhat, C. Three"], arxiv=True) == ["A. One", "Prabhat", "C. Three"]
    assert feedmod.split_authors(["Ann Lee and Bo Kim"], arxiv=True) == ["Ann Lee", "Bo Kim"]
    assert feedmod.split_authors(["Alexander Anderson"], arxiv=True) == ["Alexander Anderson"]


# --------------------------------------------------------------------------- hostile documents


def test_xxe_file_entity_is_never_read():
    secret = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    doc = _rss(
        "<item><title>before &xxe; after</title><description>&xxe;</description>"
        "<link>http://example.com/&xxe;</link><category>&xxe;</category></item>",
        prolog='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    )
    result = parse_feed(doc, source="xxe")
    dumped = json.dumps([i.to_dict() for i in result.items]) + " ".join(result.warnings)
    assert "root:" not in dumped and secret not in dumped
    (item,) = result.items
    assert item.title == "before after"
    assert any("unsafe XML entities" in w for w in result.warnings)


def test_external_parameter_entity_and_dtd_are_not_fetched(monkeypatch):
    import socket

    def forbidden(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    doc = _rss(
        "<item><title>ok</title></item>",
        prolog='<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd" [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.ent"> %p;]>',
    )
    assert [i.title for i in parse_feed(doc, source="dtd").items] == ["ok"]


def test_billion_laughs():
    decls = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    )
    doc = _rss(
        "<item><title>x &lol; y &lol9; z</title><description>&lol9;&lol9;</description></item>",
        prolog=f"<!DOCTYPE lolz [{decls}]>",
    )
    start = time.monotonic()
    (item,) = parse_feed(doc, source="lol").items
    assert time.monotonic() - start < 1.0
    assert item.title == "x lol y z"  # the simple entity expands, the nested ones are removed
    assert item.abstract == ""


def test_entity_expansion_cap():
    value = "v" * xmlsafe.MAX_ENTITY_VALUE  # the largest "safe" value
    refs = "&e;" * (xmlsafe.MAX_ENTITY_EXPANSION // xmlsafe.MAX_ENTITY_VALUE + 50)
    doc = _rss(f"<item><title>t</title><description>{refs}</description></item>", f'<!DOCTYPE r [<!ENTITY e "{value}">]>')
    result = parse_feed(doc, source="cap")
    assert any("expansion cap" in w for w in result.warnings)
    assert len(result.items[0].abstract) <= feedmod.MAX_ABSTRACT_CHARS


def test_entity_with_char_refs_and_quotes_is_expanded_safely():
    doc = _rss(
        '<item><title>&co; &q;</title><link>http://example.com/?a=&q;</link></item>',
        prolog="""<!DOCTYPE rss [<!ENTITY co "&#169; Example"><!ENTITY q '"x"'>]>""",
    )
    (item,) = parse_feed(doc, source="ent").items
    assert item.title == '© Example "x"'


def test_doctype_in_a_prolog_comment_gives_feedparser_no_entities():
    # feedparser's own DOCTYPE handling would find this one inside the comment
    doc = (
        '<?xml version="1.0"?>\n<!--\n<!DOCTYPE rss [\n<!ENTITY big "' + "B" * 50_000 + '">\n]>\n-->\n'
        '<rss version="2.0"><channel><item><title>t &big;&big;&big;</title></item></channel></rss>'
    ).encode()
    safe = neutralise_doctype(doc)
    assert b"<!DOCTYPE" not in safe.data and b"<!ENTITY" not in safe.data
    (item,) = parse_feed(doc, source="c").items
    assert "BBBB" not in item.title


def test_utf16_doctype_is_found():
    doc = (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><item><title>a &x; b</title></item></channel></rss>'
    )
    for data in (doc.encode("utf-16"), doc.encode("utf-16-be"), doc.encode("utf-32")):
        (item,) = parse_feed(data, source="u16").items
        assert item.title == "a b"


QUADRATIC_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {repo!r})
    from digest.errors import InputError
    from digest.sources.feed import parse_feed
    import feedparser  # import cost is not what we measure
    entity = "A" * 100_000
    refs = "&a;" * 5_000
    doc = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + entity + '">]>'
           '<rss version="2.0"><channel><title>q</title><item><title>quadratic &a;</title>'
           '<description>' + refs + '</description></item></channel></rss>').encode()
    def peak_kb():
        # VmHWM is this address space's own high-water mark; ru_maxrss would also count
        # the pytest process this one was forked from (the kernel carries it over exec).
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = peak_kb()
    start = time.monotonic()
    try:
        result = parse_feed(doc, source="q")
        outcome = [len(i.abstract) + len(i.title) for i in result.items]
    except InputError as exc:
        outcome = str(exc)
    elapsed = time.monotonic() - start
    peak = peak_kb()
    print(json.dumps({{"size": len(doc), "elapsed": elapsed, "peak_kb": peak, "before_kb": before,
                      "outcome": outcome}}))
    """
)


def test_quadratic_blowup_is_cheap(tmp_path):
    pytest.importorskip("resource")
    script = tmp_path / "quad.py"
    script.write_text(QUADRATIC_SCRIPT.format(repo=str(REPO)))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 110_000 < report["size"] < 120_000
    assert report["elapsed"] < 2.0
    assert report["peak_kb"] < 200 * 1024  # KiB
    assert report["outcome"] == [len("quadratic")]  # both the title's and the body's references removed


# --------------------------------------------------------------------------- cross-lists (issue 14, item 17)
def test_rss_arxiv_org_says_which_entries_are_cross_lists(shared_dir):
    """rss.arxiv.org's <arxiv:announce_type> is new, cross, replace or replace-cross; categories
    come primary first, so a cross-list's first category is where it comes from."""
    items = _by_id(_parse(shared_dir / "feeds" / "arxiv" / "rss_arxiv_org_atom_cs.AI_2025-08-20.xml"))
    assert items["2508.13426"].cross_list is True and items["2508.13426"].categories[0] == "cs.CL"
    assert items["2508.14001"].cross_list is False and items["2508.14001"].categories[0] == "cs.AI"
    api = _by_id(_parse(shared_dir / "feeds" / "arxiv" / "api2026_search_testing_m10.xml"))
    assert all(it.cross_list is None for it in api.values())  # a search answer is no listing


def test_cross_list_flag_from_the_fixture(data_dir):
    items = parse_feed((data_dir / "feeds" / "arxiv_rss_cs_LG.xml").read_bytes(), source="cs.LG").items
    assert [it.cross_list for it in items] == [False, False, True]  # new, replace, replace-cross
    assert "cross_list" in items[0].to_dict()


def test_warnings_count_one_entry_in_the_singular(shared_dir):
    result = _parse(shared_dir / "feeds/tricky/feedparser__encoding_demoronize-1.xml")
    assert result.warnings == ["feedparser__encoding_demoronize-1.xml: 1 entry without a title was titled from its "
                               "summary"]
    result = _parse(shared_dir / "feeds/tricky/feedparser__wellformed_rss_entity_in_doctype.xml")
    assert result.warnings[0].startswith("feedparser__wellformed_rss_entity_in_doctype.xml: skipped 1 entry with "
                                         "neither title nor summary")
