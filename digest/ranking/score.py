"""Scoring papers against the user's interests, explainably.

A term found in a field adds ``weight x field weight x damping`` once, however often it
occurs there (which words it matches, and how overlapping terms are settled, is
:mod:`digest.ranking.match`). ``damping`` is 1 for most terms; a wanted term found in
more than ``[matching] damping_from`` of the store's papers weighs less (see
:mod:`digest.ranking.damping`). Author and organisation boosts add their weight, and
the optional boosts (similarity to tagged papers) theirs. Terms muted and authors followed
from triage count like configured ones (marked so in ``explain``); the terms learned from
votes (:mod:`digest.ranking.learned`) go through the same matcher, with the same rules and
overlaps, and add up to one ``learned`` contribution that names its words. The score is the
sum of the contributions, and every contribution is kept as a :class:`Match` for
``digest explain``.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from itertools import islice
from typing import Any

from digest.config import NUMBER, Checker, got
from digest.ranking import RANK_SORTS
from digest.ranking.abbreviations import ABBREVIATIONS
from digest.ranking.match import OVERLAPS, Matcher, Rules, TermSpec, Vocabulary, expand_terms, fold, normalize
from digest.records import dataclass
from digest.text import lazy_compile
from digest.words import phrase_words

FIELDS = ("title", "abstract")
BATCH = 4096  # papers prepared at once by the extra contributions that batch their work
_NON_WORD = lazy_compile(r"[\W_]+")


@dataclass
class Match:
    term: str
    field: str  # title, abstract, authors, org, votes (learned), similarity or semantic
    weight: float  # the contribution to the score
    detail: str = ""
    forms: tuple[str, ...] = ()  # the words matched, normalised (title and abstract matches)

    def to_dict(self) -> dict:
        d: dict = {"term": self.term, "field": self.field, "weight": round(self.weight, 3)}
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass
class Scored:
    record: dict
    score: float
    matches: list[Match] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        return [m.term for m in self.matches if m.field in FIELDS]

    def forms(self, *, mute: bool = False) -> set[str]:
        """The words this paper matched, of wanted terms (or of mute terms)."""
        return {f for m in self.matches if m.field in FIELDS and (m.weight < 0) == mute for f in m.forms}

    @property
    def sunk_by(self) -> str | None:
        """The mute term that cost this paper most, if any."""
        neg: dict[str, float] = {}
        for m in self.matches:
            if m.field in FIELDS and m.weight < 0:
                neg[m.term] = neg.get(m.term, 0.0) + m.weight
        return min(neg, key=lambda t: neg[t]) if neg else None


@dataclass
class Hidden:
    """Papers below min_score only because of mute terms: the best of them, explained, and how
    many each mute term sank (the one that took most from a paper sank it)."""

    entries: list[Scored] = field(default_factory=list)
    by_term: dict[str, int] = field(default_factory=dict)

    def add(self, s: Scored) -> None:
        self.entries.append(s)
        t = s.sunk_by or "?"
        self.by_term[t] = self.by_term.get(t, 0) + 1

    @property
    def count(self) -> int:
        return sum(self.by_term.values())


MUTED = "muted in triage"  # the detail of a contribution from a muted term
FOLLOWED = "followed in triage"  # ... and from a followed author
LEARNED = "learned"  # the term of the learned contribution (its field: "votes")


@functools.lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """An author, organisation or term as compared: folded, punctuation and spacing ignored
    (memoised: the same authors come back paper after paper)."""
    return " ".join(_NON_WORD.sub(" ", fold(name)).split())


_name_key = name_key


def learned_detail(contributions: list[tuple[str, float]], votes: int, *, shown: int = 6) -> str:
    """``sparse +0.8, pruning +0.6 … from 23 votes``: the learned words behind one score, largest first."""
    parts = sorted(contributions, key=lambda kv: (-abs(kv[1]), kv[0]))
    text = ", ".join(f"{t} {w:+.1f}" for t, w in parts[:shown])
    more = f" … {len(parts) - shown} more" if len(parts) > shown else ""
    return f"{text}{more} from {votes} vote{'s' if votes != 1 else ''}"


MATCHING_KEYS = {"stemming": bool, "compounds": bool, "abbreviations": bool, "acronym_names": bool,
                 "connectives": bool, "overlap": str, "damping": bool, "damping_from": NUMBER}


def check_matching(check: Checker, table: Any) -> dict:
    """Validate ``[matching]``: known keys, their types, an overlap rule of OVERLAPS, a share."""
    table = check.table("matching", table)
    check.keys("matching", table, MATCHING_KEYS)
    if "overlap" in table and table["overlap"] not in OVERLAPS:
        raise check.fail("matching.overlap", f"must be one of {', '.join(OVERLAPS)}, got {table['overlap']!r}")
    if "damping_from" in table and not 0 < table["damping_from"] < 1:
        raise check.fail("matching.damping_from", "must be a share between 0 and 1 (0.2 = 20% of your papers)")
    return dict(table)


def check_abbreviations(check: Checker, table: Any) -> dict[str, str]:
    """Validate ``[abbreviations]``: "ABBR" = "what it stands for" ("" removes a built-in one)."""
    table = check.table("abbreviations", table)
    out = {}
    for k, v in table.items():
        if not isinstance(v, str):
            raise check.fail(f'abbreviations."{k}"', f"must be the words it stands for (a string), got {got(v)}")
        if not phrase_words(k)[0] or (v.strip() and not phrase_words(v)[0]):
            raise check.fail(f'abbreviations."{k}"', "must contain a word")
        out[k] = v
    return out


def rules_of(matching: Mapping) -> Rules:
    """The matching rules a ``[matching]`` table asks for (damping is not a matching rule)."""
    return Rules(**{k: v for k, v in matching.items() if k in Rules.__dataclass_fields__})


def abbreviation_table(rules: Rules, own: Mapping[str, str] | None = None) -> dict[str, str]:
    """The built-in abbreviations (unless switched off) with the config's own on top;
    an own entry of "" removes that abbreviation."""
    table = dict(ABBREVIATIONS) if rules.abbreviations else {}
    for k, v in (own or {}).items():
        for old in [x for x in table if x.casefold() == k.casefold()]:
            del table[old]
        if v.strip():
            table[k] = v
    return table


def _matched_whole(matcher: Matcher, word: str) -> bool:
    """Does a term of ``matcher`` match all of ``word`` (a learned word), so that every
    occurrence of the word already counts for that term? (A prefix term matches the rest of
    the word too; a term matching a part of a hyphenated word does not cover it.)"""
    norm = normalize(word)
    for idx, start, end in matcher.hits(norm):
        if start != 0:
            continue
        if end == len(norm):
            return True
        rest = norm[end:-1]
        if matcher.specs[matcher.owner[idx]].prefix and b" " not in rest and b"-" not in rest:
            return True
    return False


class Scorer:
    def __init__(
        self,
        interests: dict[str, float],
        *,
        weights: dict[str, float] | None = None,
        authors: dict[str, float] | None = None,
        orgs: dict[str, float] | None = None,
        extra: Iterable[Callable[[dict], list[Match]]] = (),
        rules: Rules | None = None,
        vocabulary: Vocabulary | None = None,
        abbreviations: Mapping[str, str] | None = None,
        muted: dict[str, float] | None = None,
        followed: dict[str, float] | None = None,
        learned=None,
        cache=None,
    ) -> None:
        """``cache``: where the expanded terms may be kept between commands (the store:
        :mod:`digest.ranking.termcache`); used only with a ``vocabulary``."""
        self.rules = rules or Rules()
        table = abbreviation_table(self.rules, abbreviations)
        self.abbreviations = table
        self.learned = learned  # a digest.ranking.learned.Model, or None
        extra_terms = [(k, v, MUTED) for k, v in (muted or {}).items()]
        extra_terms += [(t.term, t.weight, LEARNED) for t in (learned.terms if learned is not None else [])]
        cached = recording = None
        if cache is not None and vocabulary is not None:
            from digest.ranking import termcache

            key = termcache.key_of(list(interests.items()), extra_terms, dataclasses.astuple(self.rules),
                                   sorted(table.items()))
            cached = termcache.load(cache, key, vocabulary)
            if cached is None:
                recording = termcache.Recording(vocabulary)
        if cached is not None:
            self.specs, self.origins, conflicts = cached
            self.matcher = Matcher(self.specs, overlap=self.rules.overlap, conflicts=conflicts)
        else:
            self.specs, self.origins = self._expand(interests, extra_terms, recording or vocabulary, table)
            self.matcher = Matcher(self.specs, overlap=self.rules.overlap)
            if recording is not None:
                termcache.save(cache, key, recording, self.specs, self.origins, self.matcher.conflicts)
        self.n_config = self.origins.count("")
        self.damping = [1.0] * len(self.specs)
        self.shares: list[float | None] = [None] * len(self.specs)
        self._term_weights = [t.weight for t in self.specs]
        # what a mute term took from a paper ("hidden by mute terms"): not a learned weight
        self._is_mute = [t.weight < 0 and o != LEARNED for t, o in zip(self.specs, self.origins, strict=True)]
        self.weights = {"title": 2.0, "abstract": 1.0} | dict(weights or {})
        self.authors = {_name_key(k): (k, v, FOLLOWED) for k, v in (followed or {}).items()}
        self.authors |= {_name_key(k): (k, v, "") for k, v in (authors or {}).items()}
        self.orgs = [(f" {_name_key(k)} ", k, v) for k, v in (orgs or {}).items()]
        self.extra = list(extra)
        # An extra contribution may offer ``fast(rec) -> float`` (the number without the
        # explanation) and ``prepare(records)`` (work done once for a batch, e.g. one matrix
        # product for the semantic contribution); without them it is called per paper.
        self._fast_extras = [getattr(fn, "fast", None) for fn in self.extra]
        self._preparers = [fn.prepare for fn in self.extra if hasattr(fn, "prepare")]
        self.has_mutes = any(self._is_mute)

    def _expand(self, interests: dict[str, float], extra_terms: list[tuple[str, float, str]],
                vocabulary: Vocabulary | None, table: Mapping[str, str]) -> tuple[list[TermSpec], list[str]]:
        """The terms' specs and their origins: the configured terms first (damping counts them
        alone: n_config), then the terms muted in triage, then the learned ones; a term the config
        already has (the same words under the rules: benchmark = benchmarks) is left to the config,
        and so is a learned word a configured term matches whole (``llm`` under ``llm*``)."""
        specs = expand_terms(interests.items(), vocabulary, self.rules, table)
        seen = {sp.signature(self.rules.stemming) for sp in specs}
        origins = [""] * len(specs)
        if extra_terms:
            more = expand_terms([(k, v) for k, v, _ in extra_terms], vocabulary, self.rules, table)
            origin_of = {k: o for k, _, o in reversed(extra_terms)}
            configured = Matcher(list(specs), overlap=self.rules.overlap) if specs else None
            for sp in more:
                sig = sp.signature(self.rules.stemming)
                if sig in seen:
                    continue
                origin = origin_of.get(sp.text, LEARNED)
                if origin == LEARNED and configured is not None and _matched_whole(configured, sp.text):
                    continue
                seen.add(sig)
                specs.append(sp)
                origins.append(origin)
        return specs, origins

    @property
    def terms(self) -> list[TermSpec]:
        return self.specs

    @classmethod
    def from_config(cls, cfg, extra: Iterable[Callable[[dict], list[Match]]] = (),
                    vocabulary: Vocabulary | None = None, *, muted: dict[str, float] | None = None,
                    followed: dict[str, float] | None = None, learned=None, cache=None) -> Scorer:
        return cls(cfg.interests, weights=cfg.weights, authors=cfg.authors, orgs=cfg.orgs, extra=extra,
                   rules=rules_of(cfg.matching), vocabulary=vocabulary, abbreviations=cfg.abbreviations,
                   muted=muted, followed=followed, learned=learned, cache=cache)

    def set_damping(self, factors: list[float], shares: list[float | None]) -> None:
        """Damping factors per configured term (1 = none) and the share of papers each term is in;
        muted and learned terms are not damped (the learned weights already weigh how common a
        word is)."""
        pad = len(self.specs) - len(factors)
        self.damping = list(factors) + [1.0] * pad
        self.shares = list(shares) + [None] * pad
        self._term_weights = [t.weight * d for t, d in zip(self.specs, self.damping, strict=True)]

    def _term_matches(self, fname: str, text: str, learned: dict[str, float] | None = None) -> list[Match]:
        norm = normalize(text)
        fw = self.weights.get(fname, 1.0)
        by_term: dict[int, list[tuple[str, str]]] = {}
        matcher = self.matcher
        for hit in matcher.hits(norm):
            t = matcher.owner[hit[0]]
            via = self.specs[t].phrases[matcher.phrase[hit[0]]].via
            by_term.setdefault(t, []).append((matcher.form(norm, hit), via))
        out = []
        for t in sorted(by_term):
            spec = self.specs[t]
            if self.origins[t] == LEARNED:
                if learned is not None:
                    learned[spec.text] = learned.get(spec.text, 0.0) + spec.weight * fw
                continue
            forms = tuple(dict.fromkeys(f for f, _ in by_term[t]))
            notes = [v for v in dict.fromkeys(v for _, v in by_term[t]) if v and v != "alias"]
            if self.origins[t] == MUTED:
                notes.insert(0, MUTED)
            d = self.damping[t]
            if d != 1.0 and self.shares[t] is not None:
                notes.append(f"×{d:.2f}: in {self.shares[t]:.0%} of your papers")
            out.append(Match(spec.text, fname, spec.weight * fw * d, "; ".join(notes), forms))
        return out

    def score(self, rec: dict) -> Scored:
        matches: list[Match] = []
        learned: dict[str, float] = {}
        for fname in FIELDS:
            text = rec.get(fname) or ""
            if text:
                matches.extend(self._term_matches(fname, text, learned))
        if learned:
            votes = self.learned.votes if self.learned is not None else 0
            matches.append(Match(LEARNED, "votes", round(sum(learned.values()), 3),
                                 learned_detail(list(learned.items()), votes)))
        if self.authors:
            aw = self.weights.get("authors", 1.0)
            for name in rec.get("authors") or []:
                hit = self.authors.get(_name_key(name))
                if hit:
                    matches.append(Match(hit[0], "authors", hit[1] * aw, hit[2]))
        if self.orgs and rec.get("org"):
            org = f" {_name_key(rec['org'])} "
            ow = self.weights.get("org", 1.0)
            for key, name, weight in self.orgs:
                if key in org:
                    matches.append(Match(name, "org", weight * ow))
        for fn in self.extra:
            matches.extend(fn(rec))
        total = round(sum(m.weight for m in matches), 3)
        return Scored(rec, total, matches)

    def prepare_for_scan(self) -> None:
        """Rebuild the matcher for scoring very many papers (a full rescore)."""
        self.matcher = self.matcher.with_dfa()
        for fn in self.extra:
            if hasattr(fn, "prepare_for_scan"):
                fn.prepare_for_scan()

    @property
    def batched(self) -> bool:
        """Whether scoring papers in batches (:meth:`prepare` first) saves work."""
        return bool(self._preparers)

    def prepare(self, records: list[dict], offsets: list[int] | None = None) -> None:
        """Do the batch work of the extra contributions for ``records``, about to be scored
        (``offsets``: where their lines are in items.jsonl, when a scan knows)."""
        for fn in self._preparers:
            fn(records, offsets)

    def fast_score(self, rec: dict) -> float:
        """The same number as ``score(rec).score``, without building the explanation."""
        if self.authors or self.orgs or None in self._fast_extras:
            return self.score(rec).score
        total = 0.0
        weights = self._term_weights
        for fname in FIELDS:
            text = rec.get(fname)
            if text:
                found = self.matcher.find(normalize(text))
                if found:
                    total += self.weights.get(fname, 1.0) * sum(map(weights.__getitem__, found))
        for fast in self._fast_extras:
            total += fast(rec)  # type: ignore[misc]
        return round(total, 3)

    def fast_parts(self, rec: dict) -> tuple[float, float, int]:
        """``(score, what mute terms took from it, the mute term that took most or -1)``, fast."""
        if self.authors or self.orgs or None in self._fast_extras:
            sc = self.score(rec)
            neg: dict[int, float] = {}
            index = {t.text: i for i, t in enumerate(self.specs)}
            for m in sc.matches:
                if m.field in FIELDS and m.weight < 0:
                    neg[index[m.term]] = neg.get(index[m.term], 0.0) + m.weight
        else:
            total = 0.0
            weights = self._term_weights
            neg = {}
            for fname in FIELDS:
                text = rec.get(fname)
                if text:
                    found = self.matcher.find(normalize(text))
                    if found:
                        fw = self.weights.get(fname, 1.0)
                        for i in found:
                            w = weights[i] * fw
                            total += w
                            if w < 0 and self._is_mute[i]:
                                neg[i] = neg.get(i, 0.0) + w
            for fast in self._fast_extras:
                total += fast(rec)  # type: ignore[misc]
            sc = Scored(rec, round(total, 3))
        if not neg:
            return sc.score, 0.0, -1
        return sc.score, round(sum(neg.values()), 3), min(neg, key=lambda i: neg[i])

    def muted(self, rec: dict, score: float, min_score: float) -> Scored | None:
        """The paper explained, when it scores below ``min_score`` only because of mute terms."""
        if not self.has_mutes or score >= min_score:
            return None
        s = self.score(rec)
        negative = sum(m.weight for m in s.matches if m.weight < 0 and m.field in FIELDS)
        return s if negative < 0 and s.score - negative >= min_score else None

    def rank(
        self,
        records: Iterable[dict],
        *,
        limit: int | None = None,
        min_score: float | None = None,
        hidden: Hidden | None = None,
        sort: str = "score",
    ) -> list[Scored]:
        """Score and sort: highest score first, then newest, then title (``sort="upvotes"``: most
        upvoted first, then the same). Papers below ``min_score`` only because of mute terms are
        added to ``hidden`` (when given)."""
        key = sort_key(sort)
        scored = ((self.fast_score(r), i, r) for i, r in enumerate(self.batches(records)))
        if min_score is not None:
            floor = min_score

            def kept(x) -> bool:
                if x[0] >= floor:
                    return True
                if hidden is not None:
                    m = self.muted(x[2], x[0], floor)
                    if m is not None:
                        hidden.add(m)
                return False

            scored = (x for x in scored if kept(x))
        keyed = ((key(s, r), i, r) for s, i, r in scored)
        best = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
        if hidden is not None:
            hidden.entries.sort(key=lambda s: rank_key(s.score, s.record))
            if limit is not None:
                del hidden.entries[limit:]
        return [self.score(r) for _, _, r in best]

    def batches(self, records: Iterable[dict]) -> Iterator[dict]:
        """``records`` again, :meth:`prepare`-d a batch at a time when that saves work."""
        if not self._preparers:
            yield from records
            return
        it = iter(records)
        while True:
            batch = list(islice(it, BATCH))
            if not batch:
                return
            self.prepare(batch)
            yield from batch


def rank_key(score: float, rec: dict) -> tuple:
    """Sort key: highest score first, then the newest publication date, then title."""
    pub = rec.get("published") or ""
    try:
        day = -int(pub[:4] + pub[5:7] + pub[8:10]) if pub else 0
    except ValueError:
        day = 0
    return (-score, day, rec.get("title") or "")


def upvotes_key(score: float, rec: dict) -> tuple:
    """Sort key: most upvotes first (papers without a count last), then as :func:`rank_key`."""
    up = rec.get("upvotes")
    return (-up if isinstance(up, int) and not isinstance(up, bool) else 1, *rank_key(score, rec))


def sort_key(sort: str) -> Callable[[float, dict], tuple]:
    """The sort key (score, record) -> tuple of one of :data:`digest.ranking.RANK_SORTS`."""
    if sort not in RANK_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    return upvotes_key if sort == "upvotes" else rank_key
