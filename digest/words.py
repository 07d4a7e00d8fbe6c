"""Words: how a text becomes the words that interest terms are matched against, and how
the forms of one word meet under one key.

- :func:`normalize` gives a field's matching form: lower-cased, accents and TeX folded,
  every character that is not a letter, digit or hyphen a space (one space per character,
  so punctuation breaks a phrase), hyphens kept: `` word word-word word ``.
- :func:`stem_key` gives the key under which the inflected and derived forms of a word
  meet (``token``/``tokens``, ``distillation``/``distilling``/``distil``,
  ``hallucinate``/``hallucination``): the Snowball English (Porter2) stem, from PyStemmer,
  after British spellings are folded to American ones (``optimise``, ``behaviour``,
  ``centre``, ``dialogue``, ``defence``) and irregular forms to their base (``corpora``,
  ``criteria``, ``hypotheses``, ``learnt``); a final ``ll`` becomes ``l`` (``distill`` =
  ``distil``, ``modelling`` = ``modeling``). A short list keeps apart words that Porter2 joins
  although they name different things in machine learning (``transformer`` and
  ``transform``, ``continuous`` and ``continual``, ``objective`` and ``object``).
- :class:`Lexicon` collects what texts teach the vocabulary: their words, the two-part
  hyphenated compounds they write (``pre-training``), and the names that end in an
  upper-case acronym (``StyleGAN``: ``gan``). The store keeps one for all its papers
  (grown at ingest); :class:`MemoryVocabulary` is the same, in memory. Both answer by key:
  the words sharing a key, the compounds whose joined word has a key, the names ending in
  an acronym.

Changing any rule that changes keys must bump :data:`KEY_VERSION` (the store rebuilds
its vocabulary then).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import field

from digest.identity import fold_tex
from digest.records import dataclass
from digest.text import lazy_compile

KEY_VERSION = 2  # 2: more British spellings (-our- before suffixes, -tred, -dgement, medical ae/oe, practise)

_HYPHENS = lazy_compile(r"[\-\u2010\u2011\u2012\u2013]")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_WORD_OR_HYPHEN = lazy_compile(r"[^\w\-]|_")
# ASCII letters lower-cased, digits kept, '-' kept, every other ASCII byte a space;
# bytes >= 128 (the UTF-8 of non-ASCII letters) are kept as they are.
_BYTE_MAP = bytes(
    (ord(chr(b).lower()) if chr(b).isalnum() else (b if b == 45 else 32)) if b < 128 else b
    for b in range(256)
)

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, Hangul, kana,
# CJK ideographs): a term in them matches as a substring, not as whole words.
# (Ranges, not a regex: a character class of the CJK blocks takes ~2 ms to compile.)
SPACELESS = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF), (0x3040, 0x30FF),
             (0x3130, 0x318F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))


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


def phrase_words(phrase: str) -> tuple[list[str], list[str]]:
    """The words of a term as written and the joint between each two: ``"-"`` where it
    has a hyphen, ``" "`` otherwise (``vision-language model`` -> [vision, language, model],
    [-, " "]). ``&`` reads as ``and``."""
    text = _NOT_WORD_OR_HYPHEN.sub(" ", _HYPHENS.sub("-", fold(phrase).replace("&", " and ")))
    words: list[str] = []
    joints: list[str] = []
    joint = " "
    for part in re.split(r"(\s+|-+)", text):
        if not part:
            continue
        if part.isspace() or part.startswith("-"):
            if part.startswith("-"):
                joint = "-"
            continue
        if words:
            joints.append(joint)
        words.append(part)
        joint = " "
    return words, joints


def is_spaceless(word: str) -> bool:
    """Whether ``word`` has a character of a script written without spaces (:data:`SPACELESS`)."""
    if word.isascii():
        return False
    for c in word:
        o = ord(c)
        if o >= 0x0E00:
            for lo, hi in SPACELESS:
                if lo <= o <= hi:
                    return True
    return False


# ---------------------------------------------------------------- the key of a word
_BRITISH = [  # (letters the word must contain, pattern, replacement): most words skip the regex
    ("is", lazy_compile(r"^(.{3,})is(e|es|ed|ing|ation|ations|er|ers|able)$"), r"\1iz\2"),  # optimise
    ("ys", lazy_compile(r"^(.{2,})ys(e|es|ed|ing|er|ers)$"), r"\1yz\2"),  # analyse
    # behaviour, colour, behavioural, neighbourhood, colourful
    ("our", lazy_compile(r"^(.{3,})our(s|ed|ing|able|ite|ites|al|ally|hood|hoods|ful|less|ism|ist|ists)?$"),
     r"\1or\2"),
    ("re", lazy_compile(r"^(.{3,})(t|b)re(s)?$"), r"\1\2er\3"),  # centre, fibre
    ("red", lazy_compile(r"^(.{3,})(t|b)red$"), r"\1\2ered"),  # centred
    ("ogue", lazy_compile(r"^(.{3,})ogue(s)?$"), r"\1og\2"),  # dialogue, catalogue
    ("dgement", lazy_compile(r"^(.{2,})dgement(s)?$"), r"\1dgment\2"),  # judgement, acknowledgement
]
# The ae and oe of British medical words (haemoglobin, paediatric, oestrogen, anaesthesia,
# ischaemic, leukaemia, oedema, foetal, aetiology, oesophagus, gynaecology), anywhere in a word.
_MEDICAL = (("haem", "hem"), ("aemi", "emi"), ("anaes", "anes"), ("paed", "ped"), ("aetiol", "etiol"),
            ("gynaec", "gynec"), ("oesoph", "esoph"), ("oestr", "estr"), ("oedem", "edem"), ("foet", "fet"))
BRITISH = {
    "defence": "defense", "defences": "defenses", "offence": "offense", "licence": "license",
    "programme": "program", "programmes": "programs", "grey": "gray", "aluminium": "aluminum",
    "artefact": "artifact", "artefacts": "artifacts", "manoeuvre": "maneuver", "manoeuvres": "maneuvers",
    # the verb of a noun in -ice is -ise in British English (the -ise rule would make it -ize)
    "practise": "practice", "practised": "practiced", "practises": "practices", "practising": "practicing",
}


def american(word: str) -> str:
    """The American spelling of a British one (lower-case): ``behaviour`` -> ``behavior``,
    ``optimisation`` -> ``optimization``, ``haemoglobin`` -> ``hemoglobin``; other words as
    they are. (Only the spelling: the key of a word is its stem, :func:`stem_key`.)"""
    w = BRITISH.get(word, word)
    if "ae" in w or "oe" in w:
        for needle, rep in _MEDICAL:
            if needle in w:
                w = w.replace(needle, rep)
    for needle, rx, rep in _BRITISH:
        if needle not in w:
            continue
        w2 = rx.sub(rep, w)
        if w2 != w:
            return w2
    return w


# Irregular plurals, and irregular verb forms that are not also common nouns: form -> base.
IRREGULAR = {
    "corpora": "corpus", "criteria": "criterion", "phenomena": "phenomenon", "hypotheses": "hypothesis",
    "analyses": "analysis", "axes": "axis", "matrices": "matrix", "indices": "index", "vertices": "vertex",
    "simplices": "simplex", "appendices": "appendix", "formulae": "formula", "schemata": "schema",
    "stimuli": "stimulus", "nuclei": "nucleus", "radii": "radius", "loci": "locus", "foci": "focus",
    "genera": "genus", "curricula": "curriculum", "maxima": "maximum", "minima": "minimum",
    "optima": "optimum", "spectra": "spectrum", "quanta": "quantum", "momenta": "momentum",
    "bacteria": "bacterium", "strata": "stratum", "automata": "automaton", "taxa": "taxon",
    "lemmata": "lemma", "polyhedra": "polyhedron", "mice": "mouse", "children": "child",
    "men": "man", "women": "woman", "people": "person", "feet": "foot", "teeth": "tooth",
    "learnt": "learn", "taught": "teach", "sought": "seek", "written": "write", "wrote": "write",
    "chosen": "choose", "drawn": "draw", "grown": "grow", "grew": "grow", "knew": "know",
    "known": "know", "given": "give", "gave": "give", "taken": "take", "took": "take",
    "spoken": "speak", "spoke": "speak", "forgotten": "forget", "forgot": "forget",
}
# Words that Porter2 would join to another concept of the field: each group keeps a key of
# its own ("=" marks it, so it never equals a stem).
_APART = {
    "transformer": "transformer transformers", "experience": "experience experiences",
    "universe": "universe universes", "university": "university universities",
    "organ": "organ organs", "authority": "authority authorities", "news": "news",
    "general": "general generally", "continuous": "continuous continuously",
    "relative": "relative relatively relatives", "objective": "objective objectives",
    "active": "active actively", "activity": "activity activities", "distributed": "distributed",
    "differential": "differential differentially", "critical": "critical critically",
}
KEPT_APART = {w: "=" + base for base, forms in _APART.items() for w in forms.split()}

_VOWELS = lazy_compile("[aeiouy]")
_STEMMER = None
_KEYS: dict[str, str] = {}


def stem_key(word: str) -> str:
    """The key under which the forms of ``word`` (lower-case, as :func:`normalize` leaves
    it) meet. Words with digits or non-ASCII letters, and words of one or two letters, are
    their own key."""
    k = _KEYS.get(word)
    if k is not None:
        return k
    if word in KEPT_APART:
        k = KEPT_APART[word]
    elif len(word) <= 2 or not word.isascii() or not word.isalpha():
        k = word
    else:
        global _STEMMER
        if _STEMMER is None:
            import Stemmer  # PyStemmer: Snowball in C

            _STEMMER = Stemmer.Stemmer("english")
        w = american(IRREGULAR.get(word, word))
        if len(w) >= 4 and w.endswith("s") and not _VOWELS.search(w[:-1]):
            w = w[:-1]  # the plural of an acronym: LLMs, CNNs (Porter2 keeps an s after no vowel)
        k = _STEMMER.stemWord(w)
        if len(k) >= 5 and k.endswith("ll"):
            k = k[:-1]
    if len(_KEYS) < 500_000:
        _KEYS[word] = k
    return k


# ---------------------------------------------------------------- what texts teach
_CASE_MAP = bytes(65 if 65 <= b <= 90 else 97 if (97 <= b <= 122 or 48 <= b <= 57) else 32 for b in range(256))
_ACRONYM_NAME = lazy_compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*[a-z0-9]([A-Z]{3,})s?(?![A-Za-z0-9])")


@dataclass
class Lexicon:
    """Words, two-part hyphenated compounds and acronym-ended names of some texts."""

    words: set[str] = field(default_factory=set)
    compounds: set[str] = field(default_factory=set)  # "pre-training"
    names: set[tuple[str, str]] = field(default_factory=set)  # ("gan", "stylegan")

    def add(self, text: str | None, normalized: bytes | None = None) -> None:
        if not text:
            return
        norm = (normalized if normalized is not None else normalize(text)).decode("utf-8", "replace")
        self.words.update(norm.replace("-", " ").split())
        pos = norm.find("-")
        while pos >= 0:  # the tokens around each hyphen (a few per text: no loop over every word)
            start = norm.rfind(" ", 0, pos) + 1
            end = norm.find(" ", pos)
            if end < 0:
                end = len(norm)
            tok = norm[start:end].strip("-")
            if tok.count("-") == 1:
                self.compounds.add(tok)
            pos = norm.find("-", end)
        # a cheap scan first (a lower-case letter or digit, then three capitals): most texts have none
        if text.encode("utf-8", "replace").translate(_CASE_MAP).find(b"aAAA") >= 0:
            for m in _ACRONYM_NAME.finditer(text):
                self.names.add((m.group(1).lower(), m.group(0).lower()))

    def add_record(self, rec: dict) -> None:
        self.add(rec.get("title"))
        self.add(rec.get("abstract"))


class MemoryVocabulary:
    """A vocabulary in memory (for papers that are not in a store, and for tests); the store
    answers the same three questions from its index."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.lexicon = Lexicon()
        for t in texts:
            self.lexicon.add(t)
        self._by_key: dict[str, set[str]] | None = None

    @classmethod
    def of_records(cls, records: Iterable[dict]) -> MemoryVocabulary:
        v = cls()
        for r in records:
            v.lexicon.add_record(r)
        return v

    def forms(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """The words sharing each key."""
        if self._by_key is None:
            self._by_key = {}
            for w in self.lexicon.words:
                self._by_key.setdefault(stem_key(w), set()).add(w)
        return {k: set(self._by_key.get(k, ())) for k in keys}

    def compounds(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """The hyphenated compounds written whose joined word has each key
        (pretrain: pre-training, pre-trained)."""
        want = set(keys)
        out: dict[str, set[str]] = {}
        for c in self.lexicon.compounds:
            k = stem_key(c.replace("-", ""))
            if k in want:
                out.setdefault(k, set()).add(c)
        return out

    def names(self, acronyms: Iterable[str]) -> dict[str, set[str]]:
        """The names that end in each acronym (gan: stylegan, cyclegan)."""
        want = set(acronyms)
        out: dict[str, set[str]] = {}
        for acr, name in self.lexicon.names:
            if acr in want:
                out.setdefault(acr, set()).add(name)
        return out
