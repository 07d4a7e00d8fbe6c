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


# ---------------------------------------------------------------------------- the printable fast path
_TRICKY = "ab \t\n\r\x00\x1b\x7f\x85\x9f\u00a0\u061c\u200b\u200e\u2028\u2029\u202e\u2060\u2066\ufeff\ufffb\u3000é数"


def _reference_clean(text: str, keep_newlines: bool = False) -> str:
    from digest.text import _LINE_WS, UNSAFE_BUT_WHITESPACE

    s = UNSAFE_BUT_WHITESPACE.sub(" ", text)
    if keep_newlines:
        return "\n".join(_LINE_WS.sub(" ", line).strip() for line in s.split("\n"))
    return _LINE_WS.sub(" ", s).strip()


def _reference_collapse(text: str) -> str:
    from digest.text import _WS

    return _WS.sub(" ", UNSAFE.sub(" ", text)).strip() if text else ""


@pytest.mark.parametrize("seed", range(3))
def test_clean_and_collapse_equal_the_regex_rules_on_any_text(seed):
    import random

    rng = random.Random(seed)
    for _ in range(3000):
        text = "".join(rng.choice(_TRICKY) for _ in range(rng.randrange(0, 12)))
        assert clean(text) == _reference_clean(text), repr(text)
        assert clean(text, keep_newlines=True) == _reference_clean(text, True), repr(text)
        assert collapse(text) == _reference_collapse(text), repr(text)
    assert clean("  two  spaces  ") == "two spaces" and collapse(" a  b ") == "a b"


def test_every_unsafe_character_is_unprintable_which_the_fast_path_relies_on():
    unsafe = [chr(c) for c in range(0x110000) if UNSAFE.match(chr(c))]
    assert len(unsafe) > 60 and not any(ch.isprintable() for ch in unsafe)


def test_a_lazy_pattern_compiles_at_its_first_use_and_then_is_the_pattern():
    import copy
    import re

    from digest.text import lazy_compile

    lazy = lazy_compile(r"(?P<w>b+)", re.IGNORECASE)
    assert "search" not in vars(lazy)  # not compiled yet
    assert lazy.sub("-", "aBbc") == "a-c" and lazy.pattern == "(?P<w>b+)" and lazy.groupindex == {"w": 1}
    assert vars(lazy)["search"].__self__ is vars(lazy)["sub"].__self__  # the compiled pattern's own methods
    assert [m.group() for m in lazy.finditer("b bb")] == ["b", "bb"] and lazy.flags & re.IGNORECASE
    assert lazy_compile(rb"\d+").findall(b"a1b22") == [b"1", b"22"]
    assert copy.copy(lazy).search("xb").group() == "b"  # (copy does not recurse into __getattr__)
