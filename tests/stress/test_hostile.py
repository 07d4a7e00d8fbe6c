"""Hostile text everywhere it is shown.

Titles, abstracts, authors, organisations, links, notes and tags carrying rich
markup, ANSI/OSC escape sequences (CSI, OSC 8 hyperlinks, OSC 52 clipboard
writes, the one-byte CSI ``\\x9b``), ``\\r``, bidi overrides, HTML and CR/LF
aimed at mail headers get into the store two ways: through the parsers (a HF
daily_papers JSON, an Atom feed, a dump) and written raw into the store files
(a hand edit, or a record from an older digest that cleaned less). Then every
output is produced by the installed ``digest`` with colour forced
(``FORCE_COLOR=1``): the terminal digest, explain, the reading list table,
markdown, json/jsonl, csv, bibtex, the text and HTML parts of the email, the
notes, the tag listing, ``open --print``, ``ingest --dry-run`` and ``parse``.

Checked on every stdout and stderr:

* the only ESC sequences are rich's own SGR styling (``ESC [ ... m``) and its
  OSC 8 hyperlinks to an http(s) URL that the data gave for a link; no BEL,
  no ``\\x9b`` (raw or as U+009B), no ``\\r``, no other C0/C1 control, no bidi
  override or isolate, in any output (JSON included: escaped there);
* rich markup in the data is shown literally, never interpreted;
* the HTML has no script/style/iframe element, no event attribute, and only
  http(s) (or mailto) links; the mail headers are single lines built from
  the config, with no header smuggled in.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from stresskit import env_for, jsonl_records, write_config

ESC_PAYLOAD = ("\x1b[2J\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example/\x07CLICK\x1b]8;;\x07 "
               "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07 \x9b31mCSI1 \x1bP+q\x1b\\ \x07bell \x08\x7f")
MARKUP = "[bold]B[/] [/] [link=file:///etc/passwd]LINK[/link] [red on white]R[/]"
HTML = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">j</a>'
BIDI = "\u202eevil\u202c \u2066iso\u2069 \u200fmark"
HEADERS = "\r\nBcc: victim@example.org\r\nSubject: pwned\nX-Evil: 1"


def hostile(tag: str) -> str:
    return f"{tag} {MARKUP} {ESC_PAYLOAD} {HTML} {BIDI} cr\rlf{HEADERS} end"


SAFE_URL = "https://example.org/paper/1"
BAD_URLS = ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>alert(1)</script>",
            "http://evil.example/\x1b]52;c;eA==\x07", "https://ok.example/\r\nX: y"]


def hf_json() -> bytes:
    entries = []
    for i in range(3):
        entries.append({"paper": {
            "id": f"2511.0{i}001", "title": hostile(f"HFTitle{i}") + " diffusion",
            "summary": hostile(f"HFAbstract{i}") + " We study diffusion policies for robots. " * 3,
            "authors": [{"name": hostile(f"HFAuthor{i}")}, {"name": "Ada Lovelace"}],
            "publishedAt": "2025-11-18T00:00:00.000Z", "upvotes": 7,
            "organization": {"name": "org", "fullname": hostile("HFOrg")},
            "githubRepo": BAD_URLS[i], "projectPage": SAFE_URL,
        }, "title": hostile("EntryTitle")})
    return json.dumps(entries).encode()


def atom() -> bytes:
    def x(s):
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def xml_safe(s):  # XML 1.0 cannot carry most C0 controls: send them as the text of an HTML field
        return "".join(c if c in "\t\n\r" or ord(c) >= 32 else f"&#x{ord(c):x};" for c in s)

    entries = ""
    for i in range(2):
        title = x(xml_safe(hostile(f"FeedTitle{i}")))
        summary = x(hostile(f"FeedAbstract{i}") + ' <b>bold</b> <a href="javascript:x">j</a>')
        author = x(xml_safe(hostile(f"FeedAuthor{i}")))
        entries += (f"<entry><id>http://arxiv.org/abs/2511.1{i}001v1</id><title>{title} sparse</title>"
                    f'<summary type="html">{summary} We study sparse diffusion models in detail.</summary>'
                    f"<author><name>{author}</name></author>"
                    f'<link href="{x(BAD_URLS[i])}" rel="alternate"/>'
                    "<published>2025-11-18T00:00:00Z</published></entry>")
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title>{entries}</feed>").encode()


def dump() -> bytes:
    lines = ["Daily Papers", "", "Nov 20", ""]
    for i in range(3):  # a normal start (a dump that begins with control bytes is taken for binary)
        lines += [f"A Calm Paper Number {i}", "", "We study calm things. " * 40, "", "  • 2 authors", "·",
                  "Nov 18, 2025", ""]
    for i in range(2):
        t = hostile(f"DumpTitle{i}").replace("\r", " ").replace("\n", " ")[:280]
        a = (hostile(f"DumpAbstract{i}") + " We study robot learning in the wild. ").replace("\r", " ").replace("\n", " ")
        lines += [t, "", a, "", "  • 3 authors", hostile("DumpOrg").replace("\r", "").replace("\n", "")[:70], "·",
                  "Nov 18, 2025 4", ""]
    return "\n".join(lines).encode()


def raw_records(run: int) -> list[dict]:
    out = []
    for i in range(2):
        out.append({"v": 1, "id": f"abad{i:012d}", "title": (ESC_PAYLOAD if i else "") + hostile(f"RawTitle{i}") + " diffusion",
                    "abstract": hostile(f"RawAbstract{i}"), "authors": [hostile(f"RawAuthor{i}")], "n_authors": 1,
                    "published": "2025-11-18\x1b[2J", "upvotes": 3, "org": hostile("RawOrg"),
                    "links": BAD_URLS + [SAFE_URL], "url": BAD_URLS[i + 2], "arxiv_id": "2511.99999\x1b[2J",
                    "categories": [hostile("cat")], "sources": [hostile("src")], "truncated": False,
                    "first_seen": "2025-11-20T00:00:00Z", "last_seen": "2025-11-20T00:00:00Z",
                    "first_run": run, "last_run": run})
    return out


# --------------------------------------------------------------------------- checking output
# rich's own sequences: SGR, and OSC 8 hyperlinks (to an http(s) URL, or the closing one)
RICH_ESC = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b\x07;]*;(?P<url>[^\x1b\x07]*)\x1b\\")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")


def check_terminal_safe(name: str, data: bytes) -> str:
    """No escape byte from the data; returns the text without rich's own sequences."""
    text = data.decode("utf-8", "strict")  # (invalid UTF-8 would fail here)
    for m in RICH_ESC.finditer(text):
        url = m.group("url")
        if url:
            assert re.match(r"https?://[^\s\x00-\x1f\x7f-\x9f]+$", url), f"{name}: OSC 8 link to {url!r}"
            # A link never hides where the data points: a code/project link found in the data
            # shows its own URL as its text; a title search carries the title only
            # percent-encoded in the query of an arxiv.org URL.
            parts = urlsplit(url)
            shown = re.sub(r"\x1b\[[0-9;]*m", "", text[m.end():text.find("\x1b]8;;\x1b\\", m.end())])
            assert "evil" not in parts.netloc + parts.path or shown == url, f"{name}: OSC 8 link to {url!r}"
            assert re.fullmatch(r"[A-Za-z0-9%+._~=&-]*", parts.query), f"{name}: OSC 8 link to {url!r}"
    plain = RICH_ESC.sub("", text)
    bad = FORBIDDEN.findall(plain)
    assert not bad, f"{name}: control characters reach the terminal: {sorted(set(bad))!r} in {plain[:300]!r}"
    return plain


def assert_no_markup_interpreted(name: str, plain: str) -> None:
    flat = " ".join(plain.split())  # (wrapped lines)
    assert "[bold]B[/]" in flat, f"{name}: rich markup was interpreted (the literal text is gone)"
    assert "[link=file:///etc/passwd]" in flat.replace(" ", "") or "[link=file:" in flat


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def check_html(name: str, html: str) -> None:
    p = TagCollector()
    p.feed(html)
    for tag, attrs in p.tags:
        assert tag not in ("script", "style", "iframe", "object", "embed", "img", "form", "input", "base",
                           "link", "svg", "math", "frame", "applet"), f"{name}: <{tag}> in the HTML"
        if tag == "meta":
            assert all(k.lower() != "http-equiv" or (v or "").lower() != "refresh" for k, v in attrs)
        for k, v in attrs:
            assert not k.lower().startswith("on"), f"{name}: event attribute {k}={v!r}"
            if k.lower() in ("href", "src", "action", "formaction", "xlink:href", "background"):
                assert v and re.match(r"(https?://|mailto:)", v), f"{name}: {k}={v!r}"
            assert "javascript:" not in (v or "").lower(), f"{name}: {k}={v!r}"
    check_terminal_safe(name, html.encode())


# --------------------------------------------------------------------------- the scene
@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    home = tmp / "store"
    cfg = write_config(tmp / "config.toml", email_port=2525)
    (tmp / "papers.json").write_bytes(hf_json())
    (tmp / "feed.xml").write_bytes(atom())
    (tmp / "dump.txt").write_bytes(dump())
    outputs: dict[str, tuple[bytes, bytes]] = {}
    env = env_for(home, cfg, FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="120")

    def run(name, *args, input=None, ok=(0,), env=env):
        r = _raw(home, args, env, input)
        assert r.returncode in ok, (name, r.returncode, r.stderr.decode("utf-8", "replace"))
        outputs[name] = (r.stdout, r.stderr)
        return r

    for f in ("papers.json", "feed.xml", "dump.txt"):
        run(f"ingest --dry-run {f}", "ingest", "--dry-run", str(tmp / f))
        run(f"parse {f}", "parse", str(tmp / f))
        run(f"parse --format json {f}", "parse", "--format", "json", str(tmp / f))
        run(f"ingest {f}", "ingest", str(tmp / f))
    # raw records and events, as a hand edit or an older digest could have left them
    items = jsonl_records(home / "items.jsonl")
    run_no = max(r.get("first_run") or 0 for r in items) + 1
    with open(home / "items.jsonl", "a", encoding="utf-8") as fh:
        for rec in raw_records(run_no):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    ids = [r["id"] for r in jsonl_records(home / "items.jsonl")]
    run("tag", "tag", "-", "-t", "toread", input="\n".join(ids).encode())
    for i in ids:
        run(f"note {i}", "note", i, hostile("Note"))
    with open(home / "events.jsonl", "a", encoding="utf-8") as fh:
        for i in ids[:3]:
            fh.write(json.dumps({"v": 1, "type": "tag", "id": i, "tag": hostile("RawTag")}) + "\n")
            fh.write(json.dumps({"v": 1, "type": "note", "id": i, "text": hostile("RawNote"),
                                 "at": "2025-11-20T00:00:00Z\x1b[2J"}) + "\n")
    run("show --all table, piped", "show", "--all", env=env_for(home, cfg))
    run("run, piped", "run", env=env_for(home, cfg), ok=(0, 1))  # (no sources configured: an error)
    for fmt in ("table", "markdown", "json", "jsonl"):
        run(f"show --all {fmt}", "show", "--all", "--format", fmt)
        run(f"show {fmt}", "show", "--format", fmt)
    recs = {r["id"]: r for r in jsonl_records(home / "items.jsonl")}
    hostile_ids = [i for i in ids if "[bold]B[/]" in recs[i]["title"]]
    for i in hostile_ids + [i for i in ids if i not in hostile_ids][:1]:
        run(f"explain {i}", "explain", i)
        run(f"explain json {i}", "explain", "--format", "json", i)
        run(f"notes of {i}", "note", i)
        run(f"open --print {i}", "open", "--print", i)
    for fmt in ("table", "json", "jsonl", "markdown", "bibtex", "csv"):
        run(f"list {fmt}", "list", "--format", fmt)
    for fmt in ("bibtex", "markdown", "json", "jsonl", "csv"):
        run(f"export {fmt}", "export", "--format", fmt)
    run("tags", "tags")
    run("tags json", "tags", "--format", "json")
    run("email --dry-run", "email", "--dry-run")
    run("explain ambiguous", "explain", "abad", ok=(1,))
    run("tag unknown", "tag", "\x1b[2Jzz", "x", ok=(1, 2))
    assert len(hostile_ids) >= 6
    return {"home": home, "outputs": outputs, "ids": ids, "hostile_ids": hostile_ids}


def _raw(home, args, env, input):
    import subprocess

    from stresskit import digest_exe

    return subprocess.run([digest_exe(), *args], env=env, input=input, capture_output=True, timeout=120)


def test_every_output_is_terminal_safe(scene):
    assert len(scene["outputs"]) > 40
    failures = []
    for name, (out, err) in scene["outputs"].items():
        if "csv" in name:  # RFC 4180 records end in CRLF: the format's own, not data
            out = out.replace(b"\r\n", b"\n")
        for label, data in (("stdout", out), ("stderr", err)):
            try:
                check_terminal_safe(f"{name} ({label})", data)
            except AssertionError as exc:
                failures.append(str(exc).split("\n")[0][:300])
    assert not failures, "\n".join(failures)


def test_terminal_outputs_show_markup_literally(scene):
    o = scene["outputs"]
    names = ["show --all table", "list table"] + [f"explain {i}" for i in scene["hostile_ids"]]
    for name in names:
        plain = check_terminal_safe(name, o[name][0])
        assert "\x1b[" in o[name][0].decode(), f"{name}: colour was not forced, the test proves nothing"
        assert_no_markup_interpreted(name, plain)


def test_json_outputs_keep_the_data_but_escape_controls(scene):
    o = scene["outputs"]
    found = False
    for name in ("show --all json", "list json", "explain json " + scene["hostile_ids"][-1]):
        data = json.loads(o[name][0])
        text = json.dumps(data, ensure_ascii=False)
        found |= "\u202e" in text or "\x9b" in text  # the data is kept, escaped in the output
    assert found, "raw records kept their characters (JSON is data: escaped, not dropped)"


def test_markdown_has_no_live_html_or_non_http_links(scene):
    for name in ("show --all markdown", "list markdown", "export markdown"):
        md = scene["outputs"][name][0].decode()
        live = re.findall(r"<[a-zA-Z/!?][^>]*>?", md)
        assert not live, f"{name}: live HTML in Markdown: {live[:3]}"
        for target in re.findall(r"\]\(([^)\s]*)", md):
            assert re.match(r"https?://", target), f"{name}: link to {target!r}"


def test_csv_cells_are_clean(scene):
    import csv
    import io

    for name in ("list csv", "export csv"):
        rows = list(csv.reader(io.StringIO(scene["outputs"][name][0].decode(), newline="")))
        assert len(rows) > 1
        for row in rows:
            for cell in row:
                assert not FORBIDDEN.search(cell), f"{name}: {cell!r}"
                assert cell[:1] not in ("=", "+", "-", "@"), f"{name}: formula {cell!r}"


def test_bibtex_is_clean_and_parses(scene):
    for name in ("list bibtex", "export bibtex"):
        bib = scene["outputs"][name][0].decode()
        assert not FORBIDDEN.search(bib)
        assert bib.count("{") == bib.count("}")
        try:
            from pybtex.database import parse_string
        except ImportError:  # pragma: no cover
            continue
        db = parse_string(bib, "bibtex")
        assert len(db.entries) == len(scene["ids"])
        for entry in db.entries.values():
            for value in entry.fields.values():
                assert "\\write" not in value and "\\input" not in value and "\\immediate" not in value


def test_email_html_and_headers_are_safe(scene):
    eml = scene["outputs"]["email --dry-run"][0]
    msg = email.message_from_bytes(eml, policy=email.policy.default)
    header_names = [k.lower() for k in msg.keys()]
    assert "bcc" not in header_names and "x-evil" not in header_names
    assert "pwned" not in str(msg["Subject"])
    raw_headers = eml.split(b"\n\n", 1)[0].decode("ascii")  # headers are ASCII (encoded words)
    for line in raw_headers.split("\n"):
        assert "\r" not in line
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            check_html("email html", part.get_content())
        elif part.get_content_type() == "text/plain":
            text = part.get_content()
            check_terminal_safe("email text", text.encode())
            assert "\r" not in text.replace("\r\n", "\n")
    assert len(msg.get_payload()) == 2


def test_open_prints_only_http_urls(scene):
    for name, (out, _) in scene["outputs"].items():
        if not name.startswith("open --print"):
            continue
        url = out.decode().strip()
        assert re.match(r"https?://[^\s]+$", url), url
        assert not url.startswith(("javascript", "file", "data"))
