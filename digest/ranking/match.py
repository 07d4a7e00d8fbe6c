"""Term matching: the normalised form of a text and the patterns a term matches in it.

Text is normalised once per field: case-folded, accents and TeX folded, and
every character that is not a letter or digit becomes a space, so spaces act as
word boundaries. Hyphens are handled twice: once as a space (``vision-language``
-> ``vision language``) and once removed (``pre-training`` -> ``pretraining``),
and a term matches either form. A term's own hyphen/space/no-space variants are
all tried, so ``pre-training`` = ``pretraining`` = ``pre training``. A trailing
``*`` matches a prefix.

:class:`Matcher` finds which of many terms occur in a normalised text in one
Aho-Corasick pass; :func:`highlight_regex` finds them again in the original text
for the renderers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import ahocorasick_rs

from digest.identity import fold_tex

_NON_WORD = re.compile(r"[\W_]+")
_HYPHENS = re.compile(r"[\-\u2010\u2011\u2012\u2013]")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_WORD_OR_HYPHEN = re.compile(r"[^\w\-]|_")
# ASCII letters lower-cased, digits kept, '-' kept, every other ASCII byte a space;
# bytes >= 128 (the UTF-8 of non-ASCII letters) are kept as they are.
_BYTE_MAP = bytes(
    (ord(chr(b).lower()) if chr(b).isalnum() else (b if b == 45 else 32)) if b < 128 else b
    for b in range(256)
)


def fold(text: str) -> str:
    """Lower-case, accent- and TeX-folded text (no punctuation handling)."""
    text = unicodedata.normalize("NFKD", fold_tex(text or "").casefold())
    return _COMBINING.sub("", text)


def normalize(text: str) -> bytes:
    """The matching form of a field, as bytes: `` word word-word word ``.

    Lower-cased and folded; every character that is not a letter, digit or hyphen
    becomes one space (runs are not collapsed, so punctuation breaks a phrase);
    hyphens stay, so a term can match either side of one.
    """
    if not text:
        return b"  "
    if not text.isascii() or "\\" in text or "$" in text:
        text = _NOT_WORD_OR_HYPHEN.sub(" ", _HYPHENS.sub("-", fold(text)))
    return b" " + text.encode("utf-8").translate(_BYTE_MAP) + b" "


def _tokens(term: str) -> list[str]:
    return _NON_WORD.sub(" ", _HYPHENS.sub(" ", fold(term))).split()


def _variants(tokens: list[str]) -> set[str]:
    """Every way of writing the tokens with a space, a hyphen or nothing between them;
    a one-word term may also be written with a hyphen inside (pretraining = pre-training)."""
    if len(tokens) == 1:
        tok = tokens[0]
        return {tok} | {tok[:i] + "-" + tok[i:] for i in range(1, len(tok))}
    if len(tokens) > 5:
        return {" ".join(tokens), "-".join(tokens), "".join(tokens)}
    out = {tokens[0]}
    for tok in tokens[1:]:
        out = {v + sep + tok for v in out for sep in (" ", "-", "")}
    return out


def term_patterns(term: str) -> set[bytes]:
    """The byte strings whose presence in a normalized field means ``term`` matches."""
    raw = term.strip()
    prefix = raw.endswith("*")
    tokens = _tokens(raw.rstrip("*"))
    if not tokens:
        return set()
    rights = ("",) if prefix else (" ", "-")
    return {(left + v + right).encode("utf-8") for v in _variants(tokens) for left in (" ", "-") for right in rights}


class Matcher:
    """Finds which of many terms occur in a normalized text, in one pass.

    Every term becomes a few byte patterns (its space/hyphen/no-space spellings,
    with a word boundary on each side; a prefix term has none on the right), and
    all patterns go into one Aho-Corasick automaton (ahocorasick_rs): one C call
    per field, whatever the number of terms.
    """

    def __init__(self, terms: list[str], *, dfa: bool = False) -> None:
        index: dict[bytes, list[int]] = {}
        for i, term in enumerate(terms):
            for pat in term_patterns(term):
                index.setdefault(pat, []).append(i)
        self.patterns = list(index)
        self.owners = [tuple(index[p]) for p in self.patterns]
        single = all(len(o) == 1 for o in self.owners)
        self._owner = [o[0] for o in self.owners] if single else None
        self._ac = None
        if self.patterns:
            # A DFA searches ~15% faster but takes 4x longer to build: worth it
            # for a full rescore, not for a day's hundred papers.
            kw = {"implementation": ahocorasick_rs.Implementation.DFA} if dfa else {}
            self._ac = ahocorasick_rs.BytesAhoCorasick(
                self.patterns, matchkind=ahocorasick_rs.MatchKind.Standard, **kw
            )

    def find(self, normalized: bytes) -> set[int]:
        """Indexes (into the terms given) of the terms present in ``normalized``."""
        if self._ac is None:
            return set()
        matches = self._ac.find_matches_as_indexes(normalized, overlapping=True)
        if self._owner is not None:  # every pattern has one term: the common case
            owner = self._owner
            return {owner[m[0]] for m in matches}
        found = {m[0] for m in matches}
        owners = self.owners
        out: set[int] = set()
        for i in found:
            out.update(owners[i])
        return out


def highlight_regex(terms: Iterable[str]) -> re.Pattern | None:
    """A regex that finds the given config terms in original (unnormalised) text,
    for highlighting: case-insensitive, whole words, any hyphen/space/no-space joins."""
    parts = []
    for t in set(terms):
        prefix = t.strip().endswith("*")
        tokens = _tokens(t.strip().rstrip("*"))
        if not tokens:
            continue
        if len(tokens) == 1:
            tokens = list(tokens[0])  # a one-word term may be hyphenated anywhere
            body = r"[\-\u2010\u2011]?".join(re.escape(c) for c in tokens)
        else:
            body = r"[ \-\u2010\u2011]?".join(re.escape(tok) for tok in tokens)
        parts.append(body + (r"\w*" if prefix else ""))
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
