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
* Character references to what no text can hold (a lone UTF-16 surrogate such as
  ``&#xD83D;``, a code point beyond U+10FFFF), also escaped once inside HTML
  content, become U+FFFD (:func:`fix_char_refs`): feedparser's loose parser
  died on them, losing every entry.
* The markup is bounded before the parser builds any value from it
  (:func:`bound_markup`): feedparser keeps every element's state and copies
  each text several times, so a 20 MB title took 450 MB and a few MB of dense
  or nested elements 50-60 times their size and minutes of CPU. A text run (or
  CDATA section) longer than ``MAX_TEXT_BYTES`` is cut there; an entry (or a
  feed-level element such as the subtitle) of more than ``MAX_UNIT_ELEMENTS``
  elements or nested deeper than ``MAX_DEPTH`` is skipped, with a warning; after
  ``MAX_ELEMENTS`` elements in all, the entries that follow are not read.
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


# ---------------------------------------------------------------- character references
_CHAR_REF = re.compile(rb"&(?:amp;)?#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")


def fix_char_refs(data: bytes) -> tuple[bytes, int]:
    """Character references to a lone surrogate or beyond U+10FFFF (raw, or escaped once as in
    HTML content: ``&amp;#xD83D;``) replaced by U+FFFD's; and how many there were."""
    if b"&#" not in data and b"&amp;#" not in data:
        return data, 0
    fixed = 0

    def repl(m: re.Match[bytes]) -> bytes:
        nonlocal fixed
        code = int(m.group(1), 16) if m.group(1) is not None else int(m.group(2))
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            fixed += 1
            return m.group()[: m.group().index(b"#") + 1] + b"xFFFD;"
        return m.group()

    out = _CHAR_REF.sub(repl, data)
    return (out, fixed) if fixed else (data, 0)


# ---------------------------------------------------------------- bounds on the markup
MAX_TEXT_BYTES = 256 * 1024  # one text run or CDATA section: far beyond any field's cap (fields.MAX_*)
MAX_ELEMENTS = 300_000  # elements in the whole document: 30 an entry for MAX_ENTRIES entries
MAX_UNIT_ELEMENTS = 1_000  # elements in one entry or feed-level element (real entries have 10-40)
MAX_DEPTH = 64  # nesting inside one entry or feed-level element

_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)|<\?.*?(?:\?>|\Z)|<![^>]*>?"
    rb"|<(?P<close>/?)(?P<name>[A-Za-z_][\w.:-]*)[^<>]*?(?P<empty>/?)>",
    re.DOTALL,
)
_VOID = frozenset(b"br hr img input meta area base col embed param source track wbr".split())  # HTML, never closed
_ENTRY_NAMES = (b"entry", b"item")


def _local(name: bytes) -> bytes:
    return name.rpartition(b":")[2].lower()


def _safe_cut(data: bytes, start: int, cut: int) -> int:
    """A cut point at or before ``cut`` that splits neither a UTF-8 character nor a reference."""
    amp = data.rfind(b"&", max(start, cut - 32), cut)
    if amp >= 0 and data.find(b";", amp, cut) < 0:
        cut = amp
    while cut > start and 0x80 <= data[cut] <= 0xBF:
        cut -= 1
    return cut


def _subtree_end(data: bytes, name: bytes, start: int) -> int:
    """End (exclusive) of the element ``name`` whose start tag is at ``start`` (inner elements of
    the same name counted); the end of the document when it is never closed."""
    depth = 0
    tag = re.compile(rb"<(/?)" + re.escape(name) + rb"(?:[\s/][^<>]*?)?(/?)>")
    for m in tag.finditer(data, start):
        if m.group(1):
            depth -= 1
            if depth <= 0:
                return m.end()
        elif not m.group(2):
            depth += 1
    return len(data)


class Bounded:
    """The document as feedparser may see it, and what was cut (warnings)."""

    def __init__(self, data: bytes, notes: list[str]) -> None:
        self.data = data
        self.notes = notes


def bound_markup(data: bytes) -> Bounded:
    """``data`` with its text runs, elements and nesting bounded (see the module doc).

    One pass over the tags (a regex, C speed between them). A *unit* is an entry (``entry``,
    ``item``) or an element directly in the root or in an RSS ``channel`` (the feed's title,
    subtitle, ...): a unit over the bounds is skipped whole. Unclosed HTML void elements
    (``<br>`` in a loose RSS description) do not count as nesting."""
    out: list[bytes] = []
    pos = 0  # data[pos:] is not yet copied to out
    stack: list[bytes] = []  # names of the open elements
    elements = 0
    unit: list | None = None  # [start, depth, elements, name, is entry]
    skipped = {True: 0, False: 0}  # entries, feed-level elements
    cut_text = 0
    cut_at: int | None = None
    prev = i = 0  # end of the previous token; where to search from
    n = len(data)
    while True:
        m = _TOKEN.search(data, i)
        tstart = m.start() if m else n
        if tstart - prev > MAX_TEXT_BYTES:  # a text run longer than any field can use
            out.append(data[pos:_safe_cut(data, prev, prev + MAX_TEXT_BYTES)])
            pos = tstart
            cut_text += 1
        if m is None:
            break
        i = prev = m.end()
        cdata = m.group("cdata")
        if cdata is not None:
            if len(cdata) > MAX_TEXT_BYTES:
                body = m.start("cdata")
                out += [data[pos:_safe_cut(data, body, body + MAX_TEXT_BYTES)], b"]]>"]
                pos = m.end()
                cut_text += 1
            continue
        name = m.group("name")
        if name is None:
            continue
        if m.group("close"):
            for k in range(len(stack) - 1, -1, -1):
                if stack[k] == name:
                    del stack[k:]
                    break
            if unit is not None and len(stack) <= unit[1]:
                unit = None
            continue
        elements += 1
        local = _local(name)
        if unit is None:
            depth = len(stack)
            if local in _ENTRY_NAMES or (depth == 1 and local != b"channel") or (
                    depth == 2 and _local(stack[1]) == b"channel"):
                unit = [m.start(), depth, 0, name, local in _ENTRY_NAMES]
        if elements > MAX_ELEMENTS:
            cut_at = unit[0] if unit is not None else m.start()
            if unit is not None:
                del stack[unit[1]:]
            break
        if unit is not None:
            unit[2] += 1
            if unit[2] > MAX_UNIT_ELEMENTS or len(stack) - unit[1] >= MAX_DEPTH:
                start, depth, _, uname, is_entry = unit
                end = _subtree_end(data, uname, start)
                out.append(data[pos:start])
                pos = i = prev = end
                del stack[depth:]
                unit = None
                skipped[is_entry] += 1
                continue
        if not m.group("empty") and local not in _VOID:
            stack.append(name)
    notes = []
    if cut_at is not None:
        out += [data[pos:cut_at], b"".join(b"</" + nm + b">" for nm in reversed(stack))]
        pos = n
        notes.append(f"more than {MAX_ELEMENTS:,} XML elements: the entries after them were not read")
    why = f"more than {MAX_UNIT_ELEMENTS:,} elements or nested deeper than {MAX_DEPTH}"
    if skipped[True]:
        notes.append(f"{skipped[True]} entr{'y' if skipped[True] == 1 else 'ies'} with {why} skipped")
    if skipped[False]:
        notes.append(f"{skipped[False]} feed-level element(s) with {why} skipped")
    if cut_text:
        notes.append(f"{cut_text} text run(s) longer than {MAX_TEXT_BYTES // 1024} kB cut short")
    if not notes:
        return Bounded(data, [])
    out.append(data[pos:])
    return Bounded(b"".join(out), notes)
