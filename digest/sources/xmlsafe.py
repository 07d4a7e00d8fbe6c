"""Making an XML feed document safe to give to an XML parser.

* UTF-16/UTF-32 (with or without a BOM) and EBCDIC documents are first
  transcoded to UTF-8 and their XML declaration is rewritten to say so, so
  that the DOCTYPE can be found with byte-level scanning. Every other
  encoding is ASCII-compatible and left for feedparser to detect.
* Every DOCTYPE in the prolog is removed, internal subset and all. Nothing
  is ever fetched or read: external DTDs, external entities (``SYSTEM`` /
  ``PUBLIC``) and parameter entities are simply dropped.
* Internal general entities it declared are expanded by us, *only* when
  they are "simple": a quoted literal of at most ``MAX_ENTITY_VALUE`` bytes
  holding no markup (``<``), no parameter reference (``%``) and no entity
  reference other than numeric character references. At most
  ``MAX_ENTITIES`` are honoured and expansion adds at most
  ``MAX_ENTITY_EXPANSION`` bytes in total. References to any other entity
  the DOCTYPE declared (external, nested as in "billion laughs", oversized
  as in the "quadratic blow-up", over the caps) are deleted, with a
  warning. Predefined entities (``&amp;`` ...) and character references
  are untouched; undeclared names are left to feedparser's loose parser.
* A document of more than ``MAX_ENTRIES`` entries is cut before the parser
  builds the entries that would be dropped anyway (:func:`cap_entries`).
"""

from __future__ import annotations

import codecs
import re

from digest.sources.fields import MAX_ENTRIES

# ---------------------------------------------------------------- entity policy
MAX_ENTITY_VALUE = 1_000  # bytes of one internal entity's literal value
MAX_ENTITIES = 100  # internal entities honoured per document
MAX_ENTITY_EXPANSION = 2**20  # bytes added by all expansions together

_PREDEFINED = frozenset({b"lt", b"gt", b"amp", b"apos", b"quot"})

# ---------------------------------------------------------------- encodings


def _wide_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) for UTF-16/32 and EBCDIC documents, else None."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return ("utf-32-le" if data[0] == 0xFF else "utf-32-be"), 4
    if data[:2] == b"\xff\xfe":
        return "utf-16-le", 2
    if data[:2] == b"\xfe\xff":
        return "utf-16-be", 2
    if len(data) >= 8:
        if data[1:4] == b"\0\0\0" and data[0] and data[5:8] == b"\0\0\0" and data[4]:
            return "utf-32-le", 0
        if data[:3] == b"\0\0\0" and data[3] and data[4:7] == b"\0\0\0" and data[7]:
            return "utf-32-be", 0
    if len(data) >= 4:
        if data[1] == 0 and data[3] == 0 and data[0] and data[2]:
            return "utf-16-le", 0
        if data[0] == 0 and data[2] == 0 and data[1] and data[3]:
            return "utf-16-be", 0
        if data[:4] == b"\x4c\x6f\xa7\x94":  # '<?xm' in EBCDIC
            return "cp037", 0
    return None


XML_DECL_ENCODING = re.compile(r"""\A(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def to_ascii_compatible(data: bytes) -> bytes:
    """Transcode UTF-16/UTF-32/EBCDIC documents to UTF-8 (declaration fixed)."""
    wide = _wide_encoding(data)
    if wide is None:
        return data
    codec, bom = wide
    text = data[bom:].decode(codec, errors="replace")
    text = XML_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8")


# ---------------------------------------------------------------- DOCTYPE neutralisation

_WS_BYTES = re.compile(rb"[ \t\r\n]*")
_DOCTYPE_SPECIAL = re.compile(rb"[\"'\[>]")
_SUBSET_NEXT = re.compile(rb"<|\]|%")
_DECL_SPECIAL = re.compile(rb"[\"'>]")
_ENTITY_DECL = re.compile(
    rb"""\A<!ENTITY\s+(%\s+)?([^\s%"'<>&;]+)\s*(?:"([^"]*)"|'([^']*)')?(.*)>\Z""",
    re.DOTALL,
)
_SAFE_VALUE = re.compile(rb"\A(?:[^&%<]|&#[0-9]{1,7};|&#x[0-9a-fA-F]{1,6};)*\Z")
_BODY_TOKEN = re.compile(rb"&([^\s&;<>\"'#%]{1,256});|<!\[CDATA\[|<!--")
_FEEDPARSER_HEAD_END = re.compile(rb"<\w")  # how feedparser finds the end of the prolog
_HEAD_DECL = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _is_name_start(byte: int) -> bool:
    return byte >= 0x80 or byte == 0x5F or byte == 0x3A or 0x41 <= (byte & 0xDF) <= 0x5A


def _scan_decl(data: bytes, i: int) -> int:
    """End (exclusive) of the markup declaration starting at ``data[i] == '<'`` (quotes honoured)."""
    pos = i + 1
    while True:
        m = _DECL_SPECIAL.search(data, pos)
        if not m:
            return len(data)
        if m.group() == b">":
            return m.end()
        j = data.find(m.group(), m.end())
        if j < 0:
            return len(data)
        pos = j + 1


def _scan_subset(data: bytes, i: int, decls: list[bytes]) -> int:
    """Scan an internal subset from ``i`` (just past '['); return the index past ']'."""
    n = len(data)
    while i < n:
        m = _SUBSET_NEXT.search(data, i)
        if not m:
            return n
        i = m.start()
        if data[i] == 0x5D:  # ']'
            return i + 1
        if data[i] == 0x25:  # '%' parameter-entity reference: skip it
            i += 1
            continue
        if data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            i = n if j < 0 else j + 3
        elif data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            i = n if j < 0 else j + 2
        elif data.startswith(b"<!", i):
            end = _scan_decl(data, i)
            if data[i : i + 8].upper() == b"<!ENTITY":
                decls.append(data[i:end])
            i = end
        else:
            i += 1
    return n


def _scan_doctype(data: bytes, i: int, decls: list[bytes]) -> int:
    """End (exclusive) of the DOCTYPE whose name starts at ``i`` (past '<!DOCTYPE')."""
    n = len(data)
    while i < n:
        m = _DOCTYPE_SPECIAL.search(data, i)
        if not m:
            return n
        c = m.group()
        if c == b">":
            return m.end()
        if c == b"[":
            i = _scan_subset(data, m.end(), decls)
            continue
        j = data.find(c, m.end())
        if j < 0:
            return n
        i = j + 1
    return n


class _Prolog:
    """What the prolog scan found."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []  # DOCTYPEs to remove
        self.decls: list[bytes] = []  # raw <!ENTITY ...> declarations
        self.root: int | None = None  # index of the root element's '<'
        self.junk = False  # non-markup text before the root


def _skip_ws(data: bytes, i: int) -> int:
    m = _WS_BYTES.match(data, i)  # (matches the empty string too: never None)
    return m.end() if m else i


def scan_prolog(data: bytes) -> _Prolog:
    p = _Prolog()
    n = len(data)
    i = 3 if data.startswith(codecs.BOM_UTF8) else 0
    while True:
        i = _skip_ws(data, i)
        if i >= n:
            return p
        if data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            if j < 0:
                return p
            i = j + 2
        elif data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            if j < 0:
                return p
            i = j + 3
        elif data[i : i + 9].upper() == b"<!DOCTYPE":
            end = _scan_doctype(data, i + 9, p.decls)
            p.spans.append((i, end))
            i = end
        elif data[i] == 0x3C and i + 1 < n and _is_name_start(data[i + 1]):
            p.root = i
            return p
        else:
            p.junk = True
            j = data.find(b"<", i + 1)
            if j < 0:
                return p
            i = j


def _entity_table(decls: list[bytes]) -> tuple[dict[bytes, bytes | None], int]:
    """name -> escaped replacement bytes (safe) or None (reference to delete)."""
    table: dict[bytes, bytes | None] = {}
    honoured = 0
    for decl in decls:
        m = _ENTITY_DECL.match(decl)
        if not m:
            continue
        parameter, name, dq, sq, rest = m.groups()
        if parameter or name in _PREDEFINED or name in table:
            continue  # parameter entities vanish with the DOCTYPE; first declaration wins
        value = dq if dq is not None else sq
        safe = (
            value is not None
            and not rest.strip()
            and len(value) <= MAX_ENTITY_VALUE
            and _SAFE_VALUE.match(value) is not None
            and honoured < MAX_ENTITIES
        )
        if safe:
            honoured += 1
            table[name] = value.replace(b'"', b"&quot;").replace(b"'", b"&apos;").replace(b">", b"&gt;")
        else:
            table[name] = None
    return table, honoured


def _expand_entities(body: bytes, table: dict[bytes, bytes | None]) -> tuple[bytes, int, bool]:
    """Expand safe / delete unsafe references; CDATA sections and comments untouched."""
    out: list[bytes] = []
    pos = 0
    dropped = 0
    added = 0
    capped = False
    n = len(body)
    i = 0
    while i < n:
        m = _BODY_TOKEN.search(body, i)
        if not m:
            break
        tok = m.group()
        if tok.startswith(b"<!"):
            close = b"]]>" if tok == b"<![CDATA[" else b"-->"
            j = body.find(close, m.end())
            if j < 0:
                break
            i = j + len(close)
            continue
        i = m.end()
        name = m.group(1)
        if name not in table:
            continue
        value = table[name]
        out.append(body[pos : m.start()])
        pos = m.end()
        if value is not None and added + len(value) <= MAX_ENTITY_EXPANSION:
            out.append(value)
            added += len(value)
        else:
            if value is not None:
                capped = True
            dropped += 1
    out.append(body[pos:])
    return b"".join(out), dropped, capped


class _Neutralised:
    def __init__(self, data: bytes, prolog: _Prolog, notes: list[str]) -> None:
        self.data = data
        self.prolog = prolog
        self.notes = notes


def neutralise_doctype(data: bytes) -> _Neutralised:
    """Make a feed document safe to give to an XML parser (see the module doc)."""
    data = to_ascii_compatible(data)
    prolog = scan_prolog(data)
    notes: list[str] = []
    if prolog.spans:
        pieces = []
        pos = 0
        for start, end in prolog.spans:
            pieces.append(data[pos:start])
            pos = end
        head = b"".join(pieces)
        body = data[pos:]
        table, _ = _entity_table(prolog.decls)
        if table:
            body, dropped, capped = _expand_entities(body, table)
            if dropped:
                why = "over the expansion cap" if capped else "external, nested or oversized"
                notes.append(f"removed {dropped} reference(s) to unsafe XML entities ({why})")
        data = head + body
    # Belt and braces: feedparser itself looks for DOCTYPE/ENTITY declarations
    # before the first '<\w'; make sure it finds none there (e.g. in a comment).
    m = _FEEDPARSER_HEAD_END.search(data)
    end = m.start() + 1 if m else len(data)
    if _HEAD_DECL.search(data, 0, end):
        data = _HEAD_DECL.sub(lambda mm: b"<!_" + mm.group(1), data[:end]) + data[end:]
    return _Neutralised(data, prolog, notes)


MAX_TAG_BYTES = 2**20  # no tag (with its attributes), comment or declaration is this long in a feed
HUGE_TAG = re.compile(rb"<[^<>]{%d}" % MAX_TAG_BYTES)
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:entry|item)[\s>/]")
_PROLOG_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!.*?>|<(/?)([A-Za-z_][\w.:-]*)(?:\s[^>]*?)?(/?)>", re.DOTALL
)


def cap_entries(data: bytes) -> tuple[bytes, int]:
    """A document of more than ``MAX_ENTRIES`` entries (or items) cut before the entry after
    the last one read, its open elements closed again: feedparser then never builds (in time
    and memory) the entries that would be dropped anyway. Returns the document and the
    number of entries the whole one has (0 when it was not cut)."""
    starts = _ENTRY_START.finditer(data)
    first = next(starts, None)
    if first is None:
        return data, 0
    cut = None
    count = 1
    for m in starts:
        count += 1
        if count == MAX_ENTRIES + 1:
            cut = m.start()
    if cut is None:
        return data, 0
    stack: list[bytes] = []  # the elements open where the first entry starts: its ancestors
    for tok in _PROLOG_TOKEN.finditer(data, 0, first.start()):
        name = tok.group(2)
        if name is None or tok.group(3):
            continue
        if tok.group(1):
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name):]
        else:
            stack.append(name)
    return data[:cut] + b"".join(b"</" + n + b">" for n in reversed(stack)), count
