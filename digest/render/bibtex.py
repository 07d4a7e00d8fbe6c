"""BibTeX for reference managers (Zotero, JabRef) and LaTeX.

One ``@misc`` entry per paper, the form arXiv itself and biblatex use for
preprints::

    @misc{schmidt2025diffusion,
      title         = {Diffusion Policies for Dexterous {RL}: {$\\alpha$}-Schedules},
      author        = {Anna Schmidt and Li Wei},
      year          = {2025},
      month         = nov,
      eprint        = {2511.01234},
      archivePrefix = {arXiv},
      primaryClass  = {cs.LG},
      url           = {https://arxiv.org/abs/2511.01234},
      keywords      = {cite, toread},
      annote        = {your notes},
      abstract      = {...}
    }

- ``author`` is left out when a source gave only the number of authors (a
  Daily Papers page says "5 authors"): an invented name would be worse.
- ``eprint``/``archivePrefix``/``primaryClass`` only when the arXiv id (and
  category) is known. Tags go to ``keywords`` (Zotero makes them tags), notes
  to ``annote`` (not printed by bibliography styles).
- Citation keys: first author's last name + year + first significant title
  word, ASCII only (``schmidt2025diffusion``; ``anon`` without authors, no
  year when the publication date is unknown). Nothing is invented: ``year``
  and ``month`` only from the publication date (never the date first stored). Keys
  are unique within a file: papers whose keys collide get ``b``, ``c``, ...
  in the order they were first stored (then by id), so a paper keeps its key
  when papers stored later collide with it, and the same export always gives
  the same keys.
- Text is escaped for LaTeX (``& % $ # _ { } ~ ^ \\``); inline math such as
  ``$\\alpha$`` is kept as math when it uses only plain math commands (Greek
  letters, \\mathcal, \\leq, ...), otherwise it is escaped like text, so no TeX
  from a feed can run commands in your document. Words with capitals after
  the first letter (``LLMs``, ``ImageNet``, ``GPT-4``) and math are braced so
  bibliography styles do not lower-case them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from digest.identity import ARXIV_ID_RE
from digest.render import paper_url
from digest.text import clean

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile(r"[\\&%$#_~^{}]")

# Commands allowed inside $...$: harmless math only (no \input, \def, \write, ...).
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
MATH_COMMANDS = frozenset(set(_GREEK.values()) | {
    "varepsilon", "vartheta", "varphi", "varrho", "varsigma", "varpi", "ell", "hbar", "imath",
    "mathbb", "mathcal", "mathbf", "mathrm", "mathit", "mathsf", "mathtt", "mathfrak", "boldsymbol",
    "bm", "text", "textrm", "textit", "textbf", "operatorname",
    "hat", "tilde", "bar", "vec", "dot", "ddot", "widehat", "widetilde", "overline", "underline",
    "frac", "sqrt", "sum", "prod", "int", "oint", "lim", "log", "ln", "exp", "max", "min", "arg",
    "sup", "inf", "det", "sin", "cos", "tan",
    "times", "cdot", "cdots", "ldots", "dots", "pm", "mp", "div", "circ", "star", "ast", "otimes",
    "oplus", "odot", "leq", "le", "geq", "ge", "neq", "ne", "approx", "sim", "simeq", "equiv",
    "propto", "ll", "gg", "in", "notin", "subset", "subseteq", "supset", "cup", "cap", "setminus",
    "emptyset", "infty", "partial", "nabla", "forall", "exists", "neg", "wedge", "vee",
    "to", "rightarrow", "leftarrow", "leftrightarrow", "Rightarrow", "Leftarrow", "mapsto",
    "uparrow", "downarrow", "prime", "top", "bot", "perp", "mid", "parallel", "langle", "rangle",
    "lvert", "rvert", "lVert", "rVert", "left", "right", "big", "Big", "quad", "qquad",
    "mathbin", "mathop", "limits", "nolimits", "displaystyle", "textstyle",
})
# Inline math as pandoc reads it: no space just inside the $ signs, no digit right after.
_MATH = re.compile(r"\$(?=\S)([^$]*?\S)\$(?!\d)")
_MATH_CMD = re.compile(r"\\([A-Za-z]+|.)", re.S)
_MATH_CHARS = re.compile(r"^[A-Za-z0-9\s+\-*/=<>()\[\]|.,;:'!?^_{}\\]*$")


def _nested_ok(braces: Iterable[str]) -> bool:
    depth = 0
    for b in braces:
        depth += 1 if b == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _safe_math(body: str) -> str | None:
    """The body of ``$...$`` as LaTeX math, or None when it should be escaped as text."""
    body = "".join(f"\\{_GREEK[c]} " if c in _GREEK else c for c in body).strip()
    if not body or not _MATH_CHARS.match(body) or "^^" in body:  # ^^5c is TeX for a backslash
        return None
    for m in _MATH_CMD.finditer(body):
        cmd = m.group(1)
        if cmd not in MATH_COMMANDS and cmd not in (",", ";", "!", " ", "{", "}", "|", "_"):
            return None
    if not _nested_ok(c for c in re.sub(r"\\[{}]", "", body) if c in "{}"):
        return None  # LaTeX's groups
    if not _nested_ok(c for c in body if c in "{}"):
        return None  # BibTeX's: it counts \{ and \} too, and an odd one cuts the entry short
    return body


def _split_math(text: str) -> list[tuple[str, bool]]:
    """``text`` as ``(segment, is_math)`` pieces; math only when :func:`_safe_math` accepts it."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _MATH.finditer(text):
        body = _safe_math(m.group(1))
        if body is None:
            continue
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((f"${body}$", True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def _escape_text(text: str, braces: str) -> str:
    def repl(m: re.Match) -> str:
        c = m.group(0)
        if c in "{}":
            if braces == "escaped":
                return "\\" + c
            return r"\textbraceleft{}" if c == "{" else r"\textbraceright{}"
        return _TEXT_ESCAPES[c]

    return _SPECIAL.sub(repl, text)


def _brace_mode(pieces: list[tuple[str, bool]]) -> str:
    """``\\{`` ``\\}`` when the literal braces nest properly (BibTeX counts them too), else
    ``\\textbraceleft{}``."""
    literal = [c for seg, is_math in pieces if not is_math for c in seg if c in "{}"]
    return "escaped" if _nested_ok(literal) else "named"


def latex(text: object, *, math: bool = True) -> str:
    """Plain text as LaTeX: specials escaped, safe inline math kept (when ``math``)."""
    s = clean(text)
    pieces = _split_math(s) if math else [(s, False)]
    mode = _brace_mode(pieces)
    return "".join(seg if is_math else _escape_text(seg, mode) for seg, is_math in pieces)


def _needs_protection(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return any(c.isupper() for c in letters[1:])


def title_latex(title: object) -> str:
    """A title as LaTeX with acronyms, CamelCase words and math braced against re-casing."""
    s = clean(title)
    pieces = _split_math(s)
    mode = _brace_mode(pieces)
    out = []
    for seg, is_math in pieces:
        if is_math:
            out.append("{" + seg + "}")
            continue
        for part in re.split(r"(\s+)", seg):
            if not part or part.isspace():
                out.append(part)
                continue
            esc = _escape_text(part, mode)
            if _needs_protection(part) and "{" not in part and "}" not in part:
                esc = "{" + esc + "}"
            out.append(esc)
    return "".join(out)


# --------------------------------------------------------------------------- keys
_KEY_STOP = frozenset(
    "a an the on of in for to and with towards toward from by via is are do does can how what why "
    "when where which who beyond into onto at as be not no".split()
)


def ascii_fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in t if c.isascii()).lower()


def _last_name(name: str) -> str:
    name = clean(name)
    if "," in name:
        last = name.split(",")[0]
    else:
        parts = name.split()
        while len(parts) > 1 and parts[-1].lower().strip(".") in ("jr", "sr", "ii", "iii", "iv"):
            parts.pop()
        last = parts[-1] if parts else ""
    return re.sub(r"[^a-z0-9]", "", ascii_fold(last))


def _year(rec: dict) -> str:
    """The publication year, or "" when the publication date is unknown (never the date the
    paper was first stored: that is not bibliographic data)."""
    v = rec.get("published")
    if isinstance(v, str) and re.match(r"^\d{4}", v):
        return v[:4]
    return ""


def _month(rec: dict) -> str | None:
    v = rec.get("published")
    if isinstance(v, str) and re.match(r"^\d{4}-\d{2}", v):
        m = int(v[5:7])
        if 1 <= m <= 12:
            return MONTHS[m - 1]
    return None


def base_key(rec: dict) -> str:
    authors = [a for a in rec.get("authors") or [] if clean(a)]
    who = _last_name(authors[0]) if authors else ""
    word = ""
    for w in ascii_fold(clean(rec.get("title"))).split():
        w = re.sub(r"[^a-z0-9]", "", w)  # Low-Rank -> lowrank, GPT-4: -> gpt4
        if len(w) > 1 and w not in _KEY_STOP:
            word = w[:20]
            break
    return f"{who or 'anon'}{_year(rec)}{word or 'paper'}"


def _suffix(n: int) -> str:
    if n == 0:
        return ""
    if n < 26:
        return chr(ord("a") + n)  # b, c, ... (the first keeps the plain key)
    return f"-{n + 1}"


def cite_keys(records: Iterable[dict]) -> dict[str, str]:
    """Unique, stable citation keys: ``{id: key}``."""
    recs = sorted(records, key=lambda r: (r.get("first_seen") or "", r["id"]))
    used: set[str] = set()
    out: dict[str, str] = {}
    for r in recs:
        base = base_key(r)
        n = 0
        while base + _suffix(n) in used:
            n += 1
        key = base + _suffix(n)
        used.add(key)
        out[r["id"]] = key
    return out


# --------------------------------------------------------------------------- entries
def _author_field(authors: list[str]) -> str:
    names = []
    for a in authors:
        a = clean(a)
        if not a:
            continue
        esc = latex(a, math=False)
        if re.search(r"\band\b", a, re.IGNORECASE) or a.count(",") > 1:
            esc = "{" + esc + "}"  # an organisation, or a name BibTeX would split wrongly
        names.append(esc)
    return " and ".join(names)


def _url(rec: dict) -> str | None:
    """The paper's own page (never a code link, never a search), brace- and backslash-free."""
    u = paper_url(rec)
    if u is None:
        return None
    return u.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _arxiv(rec: dict) -> str | None:
    aid = rec.get("arxiv_id")
    if isinstance(aid, str) and ARXIV_ID_RE.fullmatch(aid):
        return aid
    return None


def bibtex_entry(rec: dict, key: str, *, tags: Iterable[str] = (), notes: Iterable[str] = (),
                 abstract: bool = True) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + title_latex(rec.get("title") or "Untitled") + "}")]
    authors = _author_field(rec.get("authors") or [])
    if authors:
        fields.append(("author", "{" + authors + "}"))
    year = _year(rec)
    if year:
        fields.append(("year", "{" + year + "}"))
    month = _month(rec)
    if month:
        fields.append(("month", month))
    aid = _arxiv(rec)
    if aid:
        fields.append(("eprint", "{" + aid + "}"))
        fields.append(("archivePrefix", "{arXiv}"))
        cats = [c for c in rec.get("categories") or [] if isinstance(c, str)
                and re.fullmatch(r"[a-z\-]+(\.[A-Za-z\-]+)?", c)]
        if cats:
            fields.append(("primaryClass", "{" + cats[0] + "}"))
    url = _url(rec)
    if url:
        fields.append(("url", "{" + url + "}"))
    tags = list(tags)
    if tags:
        fields.append(("keywords", "{" + latex(", ".join(tags), math=False) + "}"))
    notes = [clean(n) for n in notes if clean(n)]
    if notes:
        fields.append(("annote", "{" + latex(" | ".join(notes), math=False) + "}"))
    if abstract and clean(rec.get("abstract")):
        fields.append(("abstract", "{" + latex(rec["abstract"]) + "}"))
    width = max(len(k) for k, _ in fields)
    body = ",\n".join(f"  {k.ljust(width)} = {v}" for k, v in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def render_bibtex(entries) -> str:
    """Entries (objects with ``record``, ``tags`` and ``notes``) as one BibTeX file."""
    entries = list(entries)
    keys = cite_keys(e.record for e in entries)
    return "\n".join(
        bibtex_entry(e.record, keys[e.record["id"]], tags=e.tags, notes=[n.text for n in e.notes])
        for e in entries
    )
