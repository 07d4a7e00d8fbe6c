"""Item identity: normalised titles, stable ids, arXiv ids, short-id prefixes.

An item's id is derived from its normalised title, so the same paper in two
dumps (or in a dump and a feed) gets the same id without any lookup. The store
additionally matches on the arXiv id (without version), so a paper whose title
changed between v1 and v2 keeps the id it was first stored under.
"""

from __future__ import annotations

import re
import unicodedata

from digest.text import collapse, lazy_compile

SHORT_ID_LEN = 8
ID_LEN = 16

# A few TeX commands that appear in titles, folded to the character they draw.
_TEX_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "varepsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι",
    "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_TEX_CMD = re.compile(r"\\([A-Za-z]+)")
_NON_ALNUM = lazy_compile(r"[\W_]+")
_ASCII_NON_ALNUM = bytes(b for b in range(128) if not chr(b).isalnum())

# arXiv identifiers: new style 2401.01234(v2), old style astro-ph/0601001(v1), math.GT/0309136.
# The number after the dot has had 4 digits (to 2014) and 5 (since 2015); a longer one is taken
# whole, never cut at 5 (2511.100001 and 2511.100002 are two papers, not 2511.10000 twice).
_ARXIV_NEW = r"(\d{4}\.\d{4,}(?!\d))"
_ARXIV_OLD = r"([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}(?!\d))"
ARXIV_ID_RE = lazy_compile(rf"(?:{_ARXIV_NEW}|{_ARXIV_OLD})(?:v(\d+))?")
_ARXIV_IN_TEXT = lazy_compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|oai:arXiv\.org:|arXiv:|^)(?:{_ARXIV_NEW}|{_ARXIV_OLD})(?:v(\d+))?",
    re.IGNORECASE,
)


clean_title = collapse  # a title as stored: whitespace (hard-wrapped titles) collapsed, control characters dropped


def fold_tex(text: str) -> str:
    r"""``$\alpha$-VAE`` -> ``α-VAE``: TeX Greek to Unicode, drop ``$`` and other commands' backslashes."""

    def repl(m: re.Match) -> str:
        return _TEX_GREEK.get(m.group(1), m.group(1))

    return _TEX_CMD.sub(repl, text).replace("$", "").replace("{", "").replace("}", "")


def normalize_title(title: str) -> str:
    """The matching key of a title: case, Unicode, TeX, whitespace and punctuation folded.

    Only letters and digits survive, with no separators, so ``Pre-Training``,
    ``Pre Training`` and ``pretraining`` give the same key.
    """
    return _key_of_clean(clean_title(title))


def _key_of_clean(title: str) -> str:
    """:func:`normalize_title` of a title that is ``clean_title`` already."""
    if title.isascii() and "$" not in title and "\\" not in title and "{" not in title and "}" not in title:
        # the common case, same result as below, several times faster
        return title.encode("ascii").lower().translate(None, _ASCII_NON_ALNUM).decode("ascii")
    text = unicodedata.normalize("NFKC", fold_tex(title)).casefold()
    text = unicodedata.normalize("NFKD", text)
    return _NON_ALNUM.sub("", text)


_sha256 = None  # SHA-256, imported by the first id made: commands that make none start leaner


def _load_sha256():
    """CPython's own SHA-256 (the module hashlib falls back to), else hashlib's: the same
    digests, without importing hashlib and OpenSSL's _hashlib (~2 ms of every ingest)."""
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.10-3.11
        except ImportError:  # pragma: no cover - another interpreter, or CPython built without it
            from hashlib import sha256
    return sha256


def item_id(title: str) -> str:
    """The stable id of a paper with this title (hex, ``ID_LEN`` long)."""
    return item_id_of_clean(clean_title(title))


def item_id_of_clean(title: str) -> str:
    """:func:`item_id` of a title that is ``clean_title`` already (an Item's: one clean-up less
    for every paper parsed)."""
    global _sha256
    if _sha256 is None:
        _sha256 = _load_sha256()
    key = _key_of_clean(title) or title
    return _sha256(key.encode("utf-8")).hexdigest()[:ID_LEN]


def short_id(item_id_: str) -> str:
    return item_id_[:SHORT_ID_LEN]


def different_arxiv(a: str | None, b: str | None) -> bool:
    """Are these two papers' arXiv ids (without version) both known and different? Then they are two
    papers, whatever their titles say (a generic title such as "Introduction" is shared by many)."""
    return bool(a and b and a != b)


_ABSTRACT_KEY_CHARS = 400  # of the folded abstracts compared
_ABSTRACT_MIN_CHARS = 32  # fewer in common proves nothing


def same_abstract(a: str | None, b: str | None) -> bool:
    """Do two abstracts read the same, with case, accents, punctuation, whitespace and TeX folded
    (:func:`normalize_title`), one perhaps cut short (a page's truncated abstract)? What tells
    apart two papers that share a title when the source names no arXiv id."""
    ka = normalize_title((a or "")[: _ABSTRACT_KEY_CHARS * 2])[:_ABSTRACT_KEY_CHARS]
    kb = normalize_title((b or "")[: _ABSTRACT_KEY_CHARS * 2])[:_ABSTRACT_KEY_CHARS]
    n = min(len(ka), len(kb))
    return n >= _ABSTRACT_MIN_CHARS and ka[:n] == kb[:n]


def parse_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """Find an arXiv id in a URL, an ``oai:`` id, ``arXiv:...`` or a bare id.

    Returns ``(id_without_version, version_or_None)`` or None.
    """
    if not text:
        return None
    m = _ARXIV_IN_TEXT.search(text.strip())
    if not m:
        return None
    aid = m.group(1) or _old_style(m.group(2))
    version = int(m.group(3)) if m.group(3) else None
    return aid, version


def _old_style(aid: str) -> str:
    """An old-style id as arXiv writes it, whatever the case it came in: the archive in lower case,
    its subject class in upper (``math.GT/0309136``, ``astro-ph/0601001``)."""
    archive, number = aid.split("/", 1)
    name, dot, subject = archive.partition(".")
    return f"{name.lower()}{dot}{subject.upper()}/{number}"


_ARXIV_REFERENCE = lazy_compile(
    rf"(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|https?://(?:www\.)?huggingface\.co/papers/)?"
    rf"(?:{_ARXIV_NEW}|{_ARXIV_OLD})(?:v(\d+))?(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)


def arxiv_reference(text: str) -> str | None:
    """The arXiv id (without version) when ``text`` is nothing but a reference to an arXiv paper,
    as a user types one where an id is asked: ``2508.14002``, ``2508.14002v2``,
    ``arXiv:2508.14002``, ``https://arxiv.org/abs/2508.14002v2`` (or ``/pdf/``, ``/html/``), a
    Hugging Face paper page ``https://huggingface.co/papers/2508.14002``, an old-style
    ``hep-th/9901001``. None otherwise."""
    m = _ARXIV_REFERENCE.fullmatch(text.strip())
    if not m:
        return None
    return m.group(1) or _old_style(m.group(2))


def arxiv_abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def arxiv_pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
