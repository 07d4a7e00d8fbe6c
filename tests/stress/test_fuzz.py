"""Fuzzing the parsers (hypothesis): random and mutated real inputs.

Every input kind goes through ``digest.sources.detect.parse_bytes`` (detected
and forced: dump, feed, hf_json). Properties:

* nothing but :class:`digest.errors.DigestError` (the project's error type)
  ever escapes, whatever the bytes;
* parsing is idempotent: parse -> ``to_dump_text`` (render as a dump) -> parse
  gives the same items (title, abstract, n_authors, published, upvotes, org),
  for dumps exactly, and for every kind from the second round on.

Seeds: the real dumps and feeds in ../shared when present (``shared_dir``
fixture), always our fixtures in tests/data. ``DIGEST_STRESS_EXAMPLES`` sets the
examples per test (default 60; the full run uses thousands).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from stresskit import EXAMPLES

from digest.errors import DigestError
from digest.sources.detect import parse_bytes
from digest.sources.dump import to_dump_text

DATA = Path(__file__).resolve().parent.parent / "data"
REF = date(2025, 11, 20)
FIELDS = ("title", "abstract", "n_authors", "published", "upvotes", "org")
HEADER_ONLY = to_dump_text([])

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def corpus(root: Path) -> list[bytes]:
    files = sorted(p for sub in ("dumps", "feeds", "hf", "cli") for p in (root / sub).rglob("*")
                   if p.is_file() and p.suffix in (".txt", ".xml", ".json", ".atom", ".rss"))
    return [p.read_bytes() for p in files]


OURS = corpus(DATA)
assert OURS, "tests/data fixtures are missing"


def parse(data: bytes, kind: str | None = None):
    """parse_bytes, asserting that only the project's own error type escapes."""
    try:
        return parse_bytes(data, source="fuzz", kind=kind, ref_date=REF)
    except DigestError:
        return None
    except RecursionError as exc:  # pragma: no cover - reported as a failure below
        raise AssertionError(f"RecursionError escaped: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - that is the property
        raise AssertionError(f"{type(exc).__name__} escaped the parser (kind={kind}): {exc!r}") from exc


def fields(items) -> dict[str, tuple]:
    """What a dump can hold of each item: upvotes only with a date (``to_dump_text`` writes
    them on the date line; a page's invalid date line still gives its upvotes)."""
    return {i.id: tuple(None if f == "upvotes" and i.published is None else getattr(i, f) for f in FIELDS)
            for i in items}


def check_round_trip(result) -> None:
    """parse -> dump -> parse: the same items (exactly for dumps; from round two for all)."""
    if result is None or not result.items:
        return
    first = to_dump_text(result.items)
    if first == HEADER_ONLY:  # nothing a dump can hold (e.g. feed entries without abstracts)
        return
    again = parse(first.encode("utf-8"), "dump")
    assert again is not None, f"our own dump does not parse:\n{first[:2000]}"
    if result.kind == "dump":
        assert fields(again.items) == fields(result.items), "parse -> dump -> parse changed the items"
    second = parse(to_dump_text(again.items).encode("utf-8"), "dump")
    assert second is not None
    assert fields(second.items) == fields(again.items), "dump round trip is not idempotent"


def all_kinds(data: bytes) -> None:
    for kind in (None, "dump", "feed", "hf_json"):
        res = parse(data, kind)
        check_round_trip(res)


# --------------------------------------------------------------------------- mutations
TOKENS = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\n\n", b"\x1b[2J", b"\xc2\x9b",
    "\u202e".encode(), "\u00b7".encode(), "  \u2022 7 authors".encode(), b"Feb 29", b"Oct 17 3", b"May 21, 2023",
    b"Daily Papers", b"new", b"<", b">", b"&", b"&amp;", b"&lol;", b"]]>", b"<![CDATA[", b"<!--", b"-->",
    b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', b"<entry>", b"</entry>",
    b"<title>", b"</title>", b"<summary>", b'<?xml version="1.0" encoding="utf-16"?>', b"{", b"}", b"[", b"]",
    b'"', b'"paper":', b'"title":', b"null", b"1e999999", b"9" * 5000, b"[" * 3000, b",", b":",
    b"x" * 400, ("\u00e9" * 50).encode(), "\U0001f600".encode(), b"\t", b"\x0c", b"\x85",
]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "dup", "insert", "token", "truncate", "splice"]))
        n = len(data)
        i = draw(st.integers(0, max(0, n)))
        if op == "flip" and n:
            data[min(i, n - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete" and n:
            del data[i:i + draw(st.integers(1, 200))]
        elif op == "dup" and n:
            j = min(n, i + draw(st.integers(1, 400)))
            data[i:i] = data[i:j]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=40))
        elif op == "token":
            data[i:i] = draw(st.sampled_from(TOKENS))
        elif op == "truncate":
            del data[i:]
        elif op == "splice":
            other = draw(st.sampled_from(seeds))
            k = draw(st.integers(0, len(other)))
            data[i:] = other[k:]
    return bytes(data)


@SETTINGS
@given(mutated(OURS))
def test_mutated_fixtures_never_raise_anything_but_digest_error(data):
    all_kinds(data)


def test_mutated_real_inputs_never_raise_anything_but_digest_error(shared_dir):
    seeds = [p.read_bytes() for p in sorted(shared_dir.rglob("*"))
             if p.is_file() and p.suffix in (".txt", ".xml", ".json", ".atom", ".rss")]
    assert seeds

    @SETTINGS
    @given(mutated(seeds))
    def run(data):
        all_kinds(data)

    run()


def test_real_inputs_round_trip(shared_dir):
    for p in sorted(shared_dir.rglob("*")):
        if p.is_file() and p.suffix in (".txt", ".xml", ".json", ".atom", ".rss"):
            all_kinds(p.read_bytes())


def test_fixtures_round_trip():
    for data in OURS:
        all_kinds(data)


# --------------------------------------------------------------------------- random input
@SETTINGS
@given(st.binary(max_size=3000))
@example(b"")
@example(b"\xff\xfe")
@example(b"\x00\x00\xfe\xff")
@example(b"<")
@example(b"[")
@example("\u00b7\n".encode() * 3)
def test_random_bytes_never_raise_anything_but_digest_error(data):
    all_kinds(data)


LINE = st.one_of(
    st.sampled_from(["", "", "", "new", "Daily Papers", "Subscribe", "byAK and the research community", "·",
                     "•", "  • 3 authors", "1 author", "Nov 20", "Oct 17 3", "May 21, 2023", "Feb 29", "Feb 30, 2023",
                     "Sep 25, 2024 4", "42", "amazon Amazon", "Meta AI", "https://github.com/x/y.",
                     "We propose a method. Code: https://example.org/x).", "\u202eevil", "[bold]x[/]"]),
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=20, max_size=400).map(lambda s: "We study " + s),
    st.lists(st.sampled_from("the model learns robust sparse diffusion policies quickly".split()),
             min_size=1, max_size=60).map(" ".join),
)


@st.composite
def dumpish(draw) -> bytes:
    lines = draw(st.lists(LINE, min_size=1, max_size=60))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (sep.join(lines) + draw(st.sampled_from(["", sep]))).encode("utf-8")


@SETTINGS
@given(dumpish())
def test_random_dumps_parse_and_round_trip(data):
    all_kinds(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
ENTRY_VALUE = st.one_of(JSON_VALUES, st.text(max_size=300), st.integers(-10**30, 10**30))


@st.composite
def daily_papers(draw) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 6))):
        paper = {k: draw(ENTRY_VALUE) for k in draw(st.lists(st.sampled_from(
            ["id", "title", "summary", "authors", "publishedAt", "upvotes", "organization", "githubRepo",
             "projectPage", "ai_summary"]), unique=True))}
        if draw(st.booleans()):
            paper["title"] = draw(st.text(min_size=1, max_size=200))
            paper["summary"] = draw(st.text(min_size=1, max_size=600))
            paper["authors"] = [{"name": draw(st.text(max_size=30))} for _ in range(draw(st.integers(0, 4)))]
        entry = {"paper": paper}
        for k in draw(st.lists(st.sampled_from(["title", "summary", "publishedAt", "numComments"]), unique=True)):
            entry[k] = draw(ENTRY_VALUE)
        entries.append(entry if draw(st.integers(0, 9)) else draw(JSON_VALUES))
    doc = entries if draw(st.integers(0, 5)) else draw(JSON_VALUES)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8")


@SETTINGS
@given(daily_papers())
def test_random_hf_json_never_raises_anything_but_digest_error(data):
    all_kinds(data)


@st.composite
def feedish(draw) -> bytes:
    esc = st.text(max_size=200).map(lambda s: s.replace("&", "&amp;").replace("<", "&lt;"))
    raw = st.text(max_size=80)
    parts = []
    arxiv = st.from_regex(r"[0-9]{4}\.[0-9]{4,5}(v[0-9])?", fullmatch=True)
    for _ in range(draw(st.integers(0, 5))):
        fields_ = [f"<title>{draw(esc | raw)}</title>", f"<summary>{draw(esc | raw)}</summary>",
                   f"<id>http://arxiv.org/abs/{draw(arxiv)}</id>",
                   f"<author><name>{draw(esc)}</name></author>", f"<published>{draw(raw)}</published>",
                   f'<link href="{draw(raw)}"/>', f'<category term="{draw(raw)}"/>',
                   f'<summary type="html">{draw(esc | raw)}</summary>']
        chosen = draw(st.lists(st.sampled_from(fields_), max_size=8))
        parts.append("<entry>" + "".join(chosen) + "</entry>")
    prolog = draw(st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>', "", '<?xml version="1.0"?>',
                                   '<!DOCTYPE feed [<!ENTITY e "entity text">]>',
                                   '<!DOCTYPE feed SYSTEM "http://evil.example/x.dtd">']))
    root = draw(st.sampled_from(['<feed xmlns="http://www.w3.org/2005/Atom">', "<rss><channel>", "<rdf:RDF>", "<feed>"]))
    close = {"<rss><channel>": "</channel></rss>", "<rdf:RDF>": "</rdf:RDF>"}.get(root, "</feed>")
    text = prolog + root + "".join(parts) + (close if draw(st.integers(0, 4)) else "")
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "latin-1"]))
    return text.encode(enc, errors="replace")


@SETTINGS
@given(feedish())
def test_random_feeds_never_raise_anything_but_digest_error(data):
    all_kinds(data)


# --------------------------------------------------------------------------- the writer alone
ITEM_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120)


@SETTINGS
@given(st.lists(st.builds(
    dict,
    title=ITEM_TEXT.filter(lambda s: s.strip()),
    abstract=st.lists(st.sampled_from("we show that sparse models learn fast and well".split()) | ITEM_TEXT,
                      min_size=4, max_size=40).map(" ".join),
    n_authors=st.none() | st.integers(0, 500),
    published=st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat),
    upvotes=st.none() | st.integers(0, 10_000),
    org=st.none() | st.text(min_size=1, max_size=30),
), max_size=8))
def test_dump_writer_round_trips_what_a_dump_can_hold(raw_items):
    """Items built by hand (any text), written as a dump and read back: whatever a dump holds
    comes back the same, or the parser says why not (never an exception)."""
    from digest.item import Item

    items = []
    for d in raw_items:
        try:
            items.append(Item(**d, source="gen"))
        except DigestError:
            pass
    text = to_dump_text(items)
    assume(text != HEADER_ONLY)
    res = parse(text.encode("utf-8"), None)
    if res is not None:
        check_round_trip(res)
