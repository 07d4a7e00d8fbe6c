"""Term matching: the surface forms an interest term matches, found in one pass.

Every term is expanded once, when the scorer is built, into the byte patterns a
normalised field (:func:`digest.words.normalize`) may contain where the term occurs;
all patterns of all terms go into one Aho-Corasick automaton, so a field costs one C
call whatever the number of terms, and nothing is stemmed at scoring time.

A term's patterns come from these rules (each can be switched off, see :class:`Rules`):

- **forms** (``stemming``): every word of the term also matches the words of the store's
  vocabulary that share its key (:func:`digest.words.stem_key`): ``diffusion model``
  finds "Diffusion Models", ``hallucination`` finds "hallucinate", ``patient``
  "patients". A trailing ``*`` still means a prefix, and the prefix is not stemmed.
- **joints**: the words of a multi-word term may be joined by a space, a hyphen or
  nothing (``time series`` = ``time-series`` = ``timeseries``); where the config writes a
  hyphen between two content words, also by "and" (``vision-language`` = "vision and
  language" = "vision & language"), ``connectives``;
- **compounds**: a word also matches the two-part hyphenated compounds the store has seen
  written for it and their spaced form (``pretraining`` = "pre-training" = "pre training");
- **acronym names** (``acronym_names``): an acronym also matches names ending in it in
  capitals (``GAN``: "StyleGAN", "CycleGANs");
- **aliases**: ``"vision-language model | VLM"`` is one term with two spellings;
- **abbreviations** (``abbreviations``): the built-in table
  (:mod:`digest.ranking.abbreviations`, overridable) adds the spelled-out form of an
  abbreviation and the abbreviation of a spelled-out form, also for one word or run of
  words of a longer term (``offline RL`` = "offline reinforcement learning");
- **scripts without spaces** (CJK, kana, Hangul, Thai, ...): such a word matches as a
  substring, with no word boundary on its side.

Each pattern has a word boundary (a space or a hyphen) on both sides, so matches are
whole words. **One occurrence counts once** (``overlap``): where matches of different
terms overlap on the same words, the longest match keeps them (``"longest"``, the
default; ties: the leftmost), or the heaviest term (``"weight"``); a pattern several
terms share belongs to the first of them. Terms that can never overlap (they share no
word) are not compared at all, so the common case costs one automaton call and a set.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from itertools import product
from typing import Protocol

import ahocorasick_rs

from digest.records import dataclass
from digest.words import fold, is_spaceless, normalize, phrase_words, stem_key

__all__ = ["fold", "normalize", "Rules", "TermSpec", "Matcher", "expand_terms", "term_patterns",
           "highlight_regex", "OVERLAPS"]

OVERLAPS = ("longest", "weight")  # how overlapping matches of different terms are settled
_FEW_HITS = 12  # Matcher.find: below this many hits in a field, the cheap check of the terms found first
MAX_PATTERNS = 4000  # per spelling of a term; beyond, only the last word takes its forms
# Words beside which a hyphen is not read as "and": function words and prefixes (pre-training).
_NO_CONNECTIVE = frozenset("""a an the to of by in on for from with and or vs via pre post multi self non semi
anti co sub inter intra cross meta re un de over under out up super hyper""".split())


class Vocabulary(Protocol):
    """What the store (or :class:`digest.words.MemoryVocabulary`) knows of its papers' words."""

    def forms(self, keys: Iterable[str]) -> Mapping[str, set[str]]: ...

    def compounds(self, keys: Iterable[str]) -> Mapping[str, set[str]]: ...

    def names(self, acronyms: Iterable[str]) -> Mapping[str, set[str]]: ...


@dataclass(frozen=True)
class Rules:
    """Which matching rules are on (``[matching]`` in the config)."""

    stemming: bool = True
    compounds: bool = True
    abbreviations: bool = True
    acronym_names: bool = True
    connectives: bool = True
    overlap: str = "longest"


@dataclass
class Phrase:
    words: list[str]
    joints: list[str]
    via: str = ""  # how this spelling came about, for explain ("alias", "VLM → vision-language model")


@dataclass
class TermSpec:
    """One interest term and the patterns it matches."""

    text: str  # as written in the config
    weight: float
    prefix: bool = False
    phrases: list[Phrase] = field(default_factory=list)
    patterns: dict[bytes, int] = field(default_factory=dict)  # pattern -> index of its phrase

    def signature(self, stemming: bool = True) -> frozenset:
        """What the term means under the rules, whatever the store holds: two terms with the
        same signature always match the same words (benchmark = benchmarks, time series =
        time-series)."""
        return frozenset((tuple(stem_key(w) if stemming else w for w in p.words), self.prefix)
                         for p in self.phrases)

    @property
    def expansions(self) -> list[str]:
        """The abbreviation expansions and aliases this term matches through (for explain)."""
        return [p.via for p in self.phrases if p.via and p.via != "alias"]


@dataclass
class _Table:
    """An abbreviation table indexed for lookups: abbreviation key -> (abbr, expansion), and the
    first key of each expansion -> (expansion keys, abbr, expansion)."""

    by_abbr: dict[str, list[tuple[str, str]]]
    by_first: dict[str, list[tuple[list[str], str, str]]]

    @classmethod
    def of(cls, table: Mapping[str, str]) -> _Table:
        by_abbr: dict[str, list[tuple[str, str]]] = {}
        by_first: dict[str, list[tuple[list[str], str, str]]] = {}
        for abbr, exp in table.items():
            ew, _ = phrase_words(exp)
            if not ew:
                continue
            ek = [stem_key(w) for w in ew]
            by_abbr.setdefault(stem_key(fold(abbr)), []).append((abbr, exp))
            by_first.setdefault(ek[0], []).append((ek, abbr, exp))
        return cls(by_abbr, by_first)


def _alternatives(words: list[str], table: _Table) -> list[tuple[str, str]]:
    """Other spellings of a term through the abbreviation table, as (phrase, note): an
    abbreviation among its words spelled out, or a spelled-out run abbreviated."""
    out = []
    keys = [stem_key(w) for w in words]
    for i, k in enumerate(keys):
        for abbr, exp in table.by_abbr.get(k, ()):
            out.append((" ".join(words[:i] + [exp] + words[i + 1:]), f"{abbr} → {exp}"))
        for ek, abbr, exp in table.by_first.get(k, ()):
            n = len(ek)
            if keys[i:i + n] == ek:
                out.append((" ".join(words[:i] + [abbr] + words[i + n:]), f"{exp} → {abbr}"))
    return out


def _phrases(text: str, rules: Rules, table: _Table | None) -> tuple[bool, list[Phrase]]:
    raw = text.strip()
    prefix = raw.endswith("*")
    phrases: list[Phrase] = []
    for n, alt in enumerate(a for a in raw.rstrip("*").split("|") if a.strip()):
        words, joints = phrase_words(alt)
        if words:
            phrases.append(Phrase(words, joints, "" if n == 0 else "alias"))
    if table and not prefix:
        seen = {tuple(p.words) for p in phrases}
        for ph in list(phrases):
            for alt, note in _alternatives(ph.words, table):
                words, joints = phrase_words(alt)
                if words and tuple(words) not in seen:
                    seen.add(tuple(words))
                    phrases.append(Phrase(words, joints, note))
    return prefix, phrases


def _stemmable(word: str) -> bool:
    return not is_spaceless(word)


def expand_terms(terms: Iterable[tuple[str, float]], vocabulary: Vocabulary | None = None,
                 rules: Rules | None = None, abbreviations: Mapping[str, str] | None = None) -> list[TermSpec]:
    """The patterns of each ``(term, weight)``, with the store's ``vocabulary`` (None: the
    words as written only). Terms with no word are left out."""
    rules = rules or Rules()
    # (the caller decides whether the built-in table is in it)
    table = _Table.of(abbreviations) if abbreviations else None
    specs: list[TermSpec] = []
    for text, weight in terms:
        prefix, phrases = _phrases(text, rules, table)
        if phrases:
            specs.append(TermSpec(text, weight, prefix, phrases))
    # the vocabulary is asked once for everything: forms by key, then compounds and names
    words = {w for s in specs for p in s.phrases for i, w in enumerate(p.words)
             if _stemmable(w) and not (s.prefix and i == len(p.words) - 1)}
    forms_of: dict[str, set[str]] = {w: {w} for s in specs for p in s.phrases for w in p.words}
    if vocabulary is not None and rules.stemming and words:
        by_key = vocabulary.forms({stem_key(w) for w in words})
        for w in words:
            forms_of[w] |= by_key.get(stem_key(w), set())
    if vocabulary is not None and rules.acronym_names and words:
        names = vocabulary.names(words)
        for w in words:
            forms_of[w] |= names.get(w, set())
    split: dict[str, set[str]] = {}  # a form -> the hyphenated compounds written for it
    if vocabulary is not None and rules.compounds:
        forms = {f for fs in forms_of.values() for f in fs if _stemmable(f)}
        by_key = vocabulary.compounds({stem_key(f) for f in forms})
        for f in forms:
            # with stemming, every compound of the same key (pretraining: pre-trained); without, its own
            cs = by_key.get(stem_key(f), set())
            split[f] = cs if rules.stemming else {c for c in cs if c.replace("-", "") == f}
    for s in specs:
        for k, ph in enumerate(s.phrases):
            for pat in _patterns(ph, s.prefix, forms_of, split, rules):
                s.patterns.setdefault(pat, k)
    return specs


def _patterns(ph: Phrase, prefix: bool, forms_of: Mapping[str, set[str]], split: Mapping[str, set[str]],
              rules: Rules) -> set[bytes]:
    n = len(ph.words)
    forms: list[set[str]] = []
    for i, w in enumerate(ph.words):
        f = {w} if prefix and i == n - 1 else set(forms_of.get(w, {w}))
        for form in list(f):
            for c in split.get(form, ()):
                f.add(c)
                f.add(c.replace("-", " "))
        forms.append(f)
    joints = []
    for k, j in enumerate(ph.joints):
        opts = [" ", "-", ""]
        if (rules.connectives and j == "-" and ph.words[k] not in _NO_CONNECTIVE
                and ph.words[k + 1] not in _NO_CONNECTIVE):
            opts += [" and ", "-and-", "   "]  # "   ": "vision & language" (& is punctuation)
        joints.append(opts)
    total = 1
    for f in forms:
        total *= len(f)
    for jo in joints:
        total *= len(jo)
    if total > MAX_PATTERNS:  # a very long term: its words as written, but the last
        forms = [{w} for w in ph.words[:-1]] + [forms[-1]]
    bodies: set[str] = set()
    for combo in product(*(sorted(f) for f in forms)):
        if n == 1:
            bodies.add(combo[0])
            continue
        for js in product(*joints):
            body = combo[0]
            for j, w in zip(js, combo[1:], strict=True):
                body += j + w
            bodies.add(body)
    out = set()
    for b in bodies:
        lefts = ("",) if is_spaceless(b[0]) else (" ", "-")
        rights = ("",) if prefix or is_spaceless(b[-1]) else (" ", "-")
        for left in lefts:
            for right in rights:
                out.add((left + b + right).encode("utf-8"))
    return out


def term_patterns(term: str) -> set[bytes]:
    """The patterns of one term on its own (no vocabulary: its words as written)."""
    specs = expand_terms([(term, 1.0)], None, Rules(abbreviations=False))
    return set(specs[0].patterns) if specs else set()


Hit = tuple[int, int, int]  # (pattern index, start, end) in the normalised field


class Matcher:
    """Finds which of many terms occur in a normalised text, in one pass (see the module)."""

    def __init__(self, specs: list[TermSpec], *, overlap: str = "longest", dfa: bool = False,
                 settle: bool = True, conflicts: Mapping[int, frozenset[int]] | None = None) -> None:
        """``settle=False``: every term found counts, overlapping or not (a search for all words).
        ``conflicts``: the terms' conflicts as worked out before for the same specs (a cache)."""
        index: dict[bytes, int] = {}
        patterns: list[bytes] = []
        owner: list[int] = []
        phrase: list[int] = []
        self.shared: list[tuple[int, int]] = []  # (kept, dropped): terms with a pattern in common
        for i, s in enumerate(specs):
            for pat, k in s.patterns.items():
                j = index.get(pat)
                if j is None:
                    index[pat] = len(patterns)
                    patterns.append(pat)
                    owner.append(i)
                    phrase.append(k)
                elif owner[j] != i and (owner[j], i) not in self.shared:
                    self.shared.append((owner[j], i))
        self.specs = specs
        self.patterns = patterns
        self.owner = owner
        self.phrase = phrase
        self.overlap = overlap
        self.weights = [s.weight for s in specs]
        if not settle:
            self.conflicts: dict[int, frozenset[int]] = {}
        else:
            self.conflicts = dict(conflicts) if conflicts is not None else _conflicts(specs, patterns, owner)
        self._conflicting = frozenset(self.conflicts)
        # Per pattern: its term when that term can overlap none (its hits always count), else -1;
        # and how strong a hit of it is where two overlap (the length of its words, without the
        # boundaries; with overlap = "weight": the term's weight first). Looked up per hit, so
        # nothing is built per hit but the automaton's own tuples.
        self._free = [-1 if o in self._conflicting else o for o in owner]
        self._strength: list = ([(self.weights[o], len(p) - 2) for p, o in zip(patterns, owner, strict=True)]
                                if overlap == "weight" else [len(p) - 2 for p in patterns])
        self._ac = self._automaton(dfa)

    def _automaton(self, dfa: bool) -> ahocorasick_rs.BytesAhoCorasick | None:
        if not self.patterns:
            return None
        # A DFA searches ~15% faster but takes 4x longer to build: worth it
        # for a full rescore, not for a day's hundred papers.
        kw = {"implementation": ahocorasick_rs.Implementation.DFA} if dfa else {}
        return ahocorasick_rs.BytesAhoCorasick(self.patterns, matchkind=ahocorasick_rs.MatchKind.Standard, **kw)

    def with_dfa(self) -> Matcher:
        """The same matcher searching with a DFA (for a full rescore): only the automaton is
        built again, not the conflicts between terms (~55 ms for 1,000 interests)."""
        other = copy.copy(self)
        other._ac = self._automaton(dfa=True)
        return other

    def find(self, normalized: bytes) -> set[int]:
        """Indexes (into the specs given) of the terms present in ``normalized``."""
        if self._ac is None:
            return set()
        hits = self._ac.find_matches_as_indexes(normalized, overlapping=True)
        owner = self.owner
        if len(hits) < _FEW_HITS:
            # Few hits (a title; a field with few terms): most often fewer than two of the terms
            # found may overlap some term, which is cheapest to see from the terms themselves.
            found = {owner[h[0]] for h in hits}
            if len(self._conflicting.intersection(found)) < 2:
                return found
        free = self._free
        found = {free[h[0]] for h in hits}
        if -1 not in found:  # no hit of a term that may overlap another: every hit counts
            return found
        # The hits of every term that may overlap some term, settled together: that gives the
        # same terms as settling only those that may overlap a found one (a hit that overlaps no
        # other hit never changes what the others keep), without finding those first.
        found.discard(-1)
        settled = [h for h in hits if free[h[0]] < 0]
        if len(settled) > 1:  # (a single hit always keeps its words)
            settled = self._settle(settled)
        found.update([owner[h[0]] for h in settled])
        return found

    def hits(self, normalized: bytes) -> list[Hit]:
        """Every occurrence that counts (overlaps settled), in text order: for explain."""
        if self._ac is None:
            return []
        hits = self._ac.find_matches_as_indexes(normalized, overlapping=True)
        owner = self.owner
        found = {owner[m[0]] for m in hits}
        involved = self._involved(found) if len(found) > 1 else None
        if involved is None:
            return sorted(hits, key=lambda h: h[1])
        kept = self._settle([h for h in hits if owner[h[0]] in involved])
        return sorted(kept + [h for h in hits if owner[h[0]] not in involved], key=lambda h: h[1])

    def _involved(self, found: set[int]) -> set[int] | None:
        """The found terms that may overlap another found term (None: none may)."""
        maybe = self._conflicting.intersection(found)
        if len(maybe) < 2:
            return None
        conflicts = self.conflicts
        involved = {t for t in maybe if not conflicts[t].isdisjoint(maybe)}
        return involved or None

    def _settle(self, hits: list[Hit]) -> list[Hit]:
        """The occurrences among ``hits`` (in the order they end, as the automaton gives them)
        that keep their words: one pass keeping non-overlapping ones; where two overlap, the
        longer (with ``overlap = "weight"``: the heavier, then the longer) keeps the words, ties
        going to the one further left. Two hits overlap when their words do: a hit's words are
        ``[start + 1, end - 1)``, without the boundaries (which neighbours share).

        (The hot loop of a full rescore: the kept hits are the automaton's own tuples, and the
        strengths are looked up per pattern, not built per hit.)"""
        strength = self._strength
        kept: list[Hit] = []
        push = kept.append
        reach = -1  # where the last kept hit's words end, less one: a hit starting before it may overlap
        for h in hits:
            s = h[1]
            if reach > s:
                last = kept[-1]
                e = h[2]
                if e - 2 > last[1]:  # it overlaps the last one kept
                    k = strength[h[0]]
                    popped: list[Hit] = []
                    while True:
                        if strength[last[0]] >= k:  # the earlier one is at least as strong: it keeps the words
                            kept.extend(reversed(popped))  # this one lost: what it displaced comes back
                            break
                        popped.append(kept.pop())
                        if not kept:
                            push(h)
                            break
                        last = kept[-1]
                        if not (last[2] - 2 > s and e - 2 > last[1]):
                            push(h)
                            break
                    reach = kept[-1][2] - 2
                    continue
            push(h)
            reach = h[2] - 2
        return kept

    def form(self, normalized: bytes, hit: Hit) -> str:
        """The words a hit matched, as normalised text (``*`` after a prefix match)."""
        idx, s, e = hit
        pat = self.patterns[idx]
        text = normalized[s:e].decode("utf-8", "replace")
        if pat[:1] in (b" ", b"-"):
            text = text[1:]
        if pat[-1:] in (b" ", b"-") and len(pat) > 1:
            text = text[:-1]
        return text + ("*" if self.specs[self.owner[idx]].prefix else "")


def _conflicts(specs: list[TermSpec], patterns: list[bytes], owner: list[int]) -> dict[int, frozenset[int]]:
    """For each term, the terms whose matches can overlap its own in some text: a spelling of
    one contains a spelling of the other as whole words, or one ends with words the other
    begins with. A prefix term (and a term in a script without spaces) may overlap any term
    with a word that its word begins (or shares a character with)."""
    tuples: dict[int, set[tuple[bytes, ...]]] = {}
    for p, o in zip(patterns, owner, strict=True):
        tuples.setdefault(o, set()).add(tuple(p.replace(b"-", b" ").split()))
    by_word: dict[bytes, set[int]] = {}
    for o, ts in tuples.items():
        for t in ts:
            for w in t:
                by_word.setdefault(w, set()).add(o)
    subs: dict[int, set[tuple[bytes, ...]]] = {}  # every run of whole words of a term's spellings
    heads: dict[int, set[tuple[bytes, ...]]] = {}  # ... that begin one
    tails: dict[int, set[tuple[bytes, ...]]] = {}  # ... that end one
    for o, ts in tuples.items():
        sb, hd, tl = set(), set(), set()
        for t in ts:
            n = len(t)
            for i in range(n):
                for j in range(i + 1, n + 1):
                    sb.add(t[i:j])
                hd.add(t[: i + 1])
                tl.add(t[i:])
        subs[o], heads[o], tails[o] = sb, hd, tl

    loose = {o for o in tuples if specs[o].prefix or any(is_spaceless(w.decode("utf-8", "replace"))
                                                         for t in tuples[o] for w in t)}
    out: dict[int, set[int]] = {}

    def link(a: int, b: int) -> None:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)

    for a in tuples:
        cands = {b for t in tuples[a] for w in t for b in by_word[w] if b > a}
        for b in cands:
            if (a in loose or b in loose or not tuples[a].isdisjoint(subs[b]) or not tuples[b].isdisjoint(subs[a])
                    or not tails[a].isdisjoint(heads[b]) or not tails[b].isdisjoint(heads[a])):
                link(a, b)
    for o in loose:  # beyond the shared words: a prefix begins other words, CJK shares characters
        for w0 in {t[-1] if specs[o].prefix else w for t in tuples[o] for w in t}:
            text = w0.decode("utf-8", "replace")
            chars = set(text) if is_spaceless(text) else None
            for w, owners in by_word.items():
                if (w.startswith(w0) if chars is None else not chars.isdisjoint(w.decode("utf-8", "replace"))):
                    for b in owners:
                        if b != o:
                            link(o, b)
    return {t: frozenset(c) for t, c in out.items()}


_SEP = r"(?:[^\w\-\u2010-\u2013]|_)"  # what a space of a form matches in the original text
_HYPHEN = r"[\-\u2010-\u2013]"
_ENDS = (r"(?!\w)", r"\w*", "")  # after a whole word; after a prefix; after a spaceless script


def _form_atoms(form: str) -> tuple[bool, list[str], str]:
    """(starts at a word boundary, the regex of each character, what must follow) of a form."""
    prefix = form.endswith("*")
    form = form.rstrip("*")
    atoms = [_SEP if c == " " else _HYPHEN if c == "-" else re.escape(c) for c in form]
    right = r"\w*" if prefix else ("" if is_spaceless(form[-1:]) else r"(?!\w)")
    return not is_spaceless(form[:1]), atoms, right


def _trie_regex(forms: list[tuple[list[str], str]]) -> str:
    r"""One regex for many forms, as a trie (``a(?:bc(?!\w)|d\w*)``): where a plain alternation
    tries every form at every word, this looks at one character a form at most. A longer form
    is tried before a shorter one it begins with, as the longest-first alternation did."""
    root: dict = {}
    for atoms, right in forms:
        node = root
        for a in atoms:
            node = node.setdefault(a, {})
        node.setdefault(None, set()).add(right)

    def emit(node: dict) -> str:
        parts = [a + emit(child) for a, child in sorted((k, v) for k, v in node.items() if k is not None)]
        parts += [e for e in _ENDS if e in node.get(None, ())]  # (the empty end last: it always matches)
        if len(parts) == 1:
            return parts[0]
        return "(?:" + "|".join(parts) + ")"

    return emit(root)


def highlight_regex(forms: Iterable[str], mute: Iterable[str] = ()) -> re.Pattern | None:
    """A regex that finds matched words again in original (unnormalised) text, for
    highlighting: case-insensitive. ``forms`` and ``mute`` are the normalised words matched
    (:meth:`Matcher.form`, or terms as written); a match of a mute form has ``lastgroup``
    ``"mute"``, of a wanted one ``"want"`` (where both could match, a mute form wins)."""
    groups = []
    for name, items in (("mute", mute), ("want", forms)):
        bounded: list[tuple[list[str], str]] = []
        free: list[tuple[list[str], str]] = []
        for f in {fold(x).strip() for x in items}:
            if f.strip("*"):
                left, atoms, right = _form_atoms(f)
                (bounded if left else free).append((atoms, right))
        parts = ([r"(?<!\w)" + _trie_regex(bounded)] if bounded else []) + ([_trie_regex(free)] if free else [])
        if parts:
            groups.append(f"(?P<{name}>" + "|".join(parts) + ")")
    if not groups:
        return None
    return re.compile("|".join(groups), re.IGNORECASE)
