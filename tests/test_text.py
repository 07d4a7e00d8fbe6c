"""digest.text: one definition of unsafe characters, used by every cleaner."""

from __future__ import annotations

import datetime

import pytest

from digest import identity
from digest.errors import DigestError
from digest.readinglist import clean_note
from digest.render import to_json
from digest.sources.dump import parse_dump
from digest.sources.fields import html_to_text
from digest.text import UNSAFE, clean, collapse

# One of each kind: C0, ESC, DEL, C1 CSI, Arabic letter mark, zero-width space, line separator,
# bidi override, word joiner, invisible times, bidi isolate, BOM, interlinear annotation.
UNSAFE_CHARS = ["\x00", "\x1b", "\x7f", "\x9b", "\u061c", "\u200b", "\u2028", "\u202e", "\u2060",
                "\u2062", "\u2066", "\ufeff", "\ufff9"]


@pytest.mark.parametrize("ch", UNSAFE_CHARS)
def test_every_cleaner_drops_every_unsafe_character(ch):
    text = f"Safe{ch}text"
    assert UNSAFE.search(text)
    assert ch not in collapse(text)
    assert ch not in clean(text)
    assert ch not in identity.clean_title(text)
    assert ch not in clean_note(text)
    assert ch not in str(DigestError(text))
    assert ch not in html_to_text(f"<p>{text}</p>")
    assert ch not in to_json({"t": text})  # (json.dumps escapes C0 itself; json_safe the rest)
    if ch in "\x00\x1b":
        return  # C0 controls make a dump "binary data" (an error, tested in test_sources_dump)
    dump = f"Daily Papers\n\n{text} title\n\nAn abstract with enough words to be one {ch} here.\n"
    item = parse_dump(dump, source="x", ref_date=datetime.date(2025, 1, 1)).items[0]
    assert ch not in item.title and ch not in item.abstract


def test_whitespace_is_folded_and_newlines_kept_on_request():
    assert collapse("  a \t b\n\nc  ") == "a b c"
    assert clean("a\n b", keep_newlines=True) == "a\nb"
    assert clean(None) == ""
