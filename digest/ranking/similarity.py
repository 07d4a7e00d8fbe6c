"""The similarity boost: papers that resemble the ones you tagged rise.

``[similarity] tags = ["toread", "cite"]`` in config.toml makes the papers
carrying those tags a *profile*. Every paper being scored gets

    weight x similarity     (when similarity >= min_similarity)

where ``similarity`` is the cosine similarity between TF-IDF vectors of title
and abstract, to the nearest tagged paper (or the mean over the
``max_neighbours`` nearest). It shows in ``digest explain`` like any other
contribution::

    +2.10  similar to 'toread'  in similarity  <title of the nearest tagged paper>

The model, in pure Python:

- tokens: the text folded as for keyword scoring (case, accents, TeX), split
  on anything that is not a letter or digit; English function words and
  boilerplate words of paper abstracts dropped; a light plural stemmer
  (``policies`` -> ``policy``, ``robots`` -> ``robot``); title words count twice;
- weights: sublinear tf (``1 + ln tf``) times a smoothed idf
  (``ln((1 + N) / (1 + df)) + 1``) whose document frequencies come from the
  tagged papers plus recently stored ones (together at least ``BACKGROUND``
  papers when the store has them; the ones stored before the last multiple of
  ``BACKGROUND_STEP`` index rows, so the background changes once in many daily
  runs), so words every abstract uses weigh little even for a short reading
  list; vectors L2-normalised;
- search: the tagged vectors sit behind an inverted index (term -> tagged
  papers having it), so a paper being scored only touches tagged papers that
  share a term with it (see :class:`Profile` for the two phases that keep very
  common terms cheap). A tagged paper is never compared with itself.
- cache: the built profile (packed arrays, marshal) is kept in the index's cache
  table and read back while the tagged papers, their labels and the background
  are the same and no tagged paper was written again; tagging or untagging, a
  new version of a tagged paper or a new background builds it again once.

Measured (benchmarks/similarity.py, 2 cores): 3,000 synthetic tagged papers, the
daily run of 100 new papers: about +380 ms CPU when the profile is built (once in
ten daily runs: a new background), +58-60 ms and +7 MB with it cached (medians of 16
runs; +65-72 ms and +9 MB with the first layout, a bytes pair per term). Of those,
about 7 ms read the profile back (4 of them SQLite reading the 3.8 MB value) and the
rest scores the 100 papers: 8 ms their vectors, 15 the postings of their rare terms
(1,400 a paper), 8 picking the 64 candidates among the 1,100 tagged papers those
reach, 16 completing the candidates' cosines (64 x 50 common terms).
"""

from __future__ import annotations

import heapq
import marshal
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from operator import itemgetter, mul

from digest.config import NUMBER, Checker
from digest.ranking.score import Match
from digest.tags import normalize_tag
from digest.text import clean
from digest.words import fold

MAX_NEIGHBOURS = 10_000  # a mean over more neighbours than anyone tags papers (and a float can divide by)
SIMILARITY_KEYS = {"tags": list, "weight": NUMBER, "min_similarity": NUMBER, "max_neighbours": int}
DEFAULT_WEIGHT = 8.0
DEFAULT_MIN_SIMILARITY = 0.15
DEFAULT_NEIGHBOURS = 1
TITLE_BOOST = 2  # a title word counts as this many abstract words
BACKGROUND = 1000  # document frequencies come from at least this many papers ...
BACKGROUND_MIN = 300  # ... of which at least this many recently stored ones
BACKGROUND_STEP = 1000  # ... the ones stored before the last multiple of this many index rows
CACHE_NAME = "similarity-profile"  # the built profile, kept in the index's cache table
PROFILE_VERSION = 2  # bump when the model changes: a cached profile of another version is rebuilt

_WORD = re.compile(r"[a-z][a-z0-9]+")

# English function words plus the boilerplate of abstracts, which says nothing
# about a paper's topic.
STOPWORDS = frozenset("""
a about above across after again against all almost along also although always am among an and
another any are around as at be became because been before being below between both but by can
cannot could did do does doing done down due during each either else enough etc even ever every
few for from further had has have having he her here hers herself him himself his how however i
if in into is it its itself just least less let like made make makes many may me might more most
much must my neither no nor not now of off often on once one only onto or other others our ours
ourselves out over own per perhaps rather same she should since so some such than that the their
theirs them themselves then there these they this those though through thus to too toward towards
under until up upon us use used uses using very via was we well were what when where whether which
while who whom whose why will with within without would yet you your yours
paper papers propose proposed proposes present presents presented introduce introduces introduced
show shows shown demonstrate demonstrates demonstrated achieve achieves achieved achieving
approach approaches method methods result results work works study studies novel new existing
significant significantly state art based various several different specific first second
further extensive experiment experiments experimental evaluation evaluate evaluated outperform
outperforms outperforming performance improve improves improved improvement improvements
compared comparison prior previous recent recently key effective effectively efficient
efficiently provide provides code available publicly release released github https http com www
arxiv et al ie eg
""".split())

_STEM_CACHE: dict[str, str] = {}


def stem(word: str) -> str:
    """A light plural stemmer: policies -> policy, robots -> robot, classes -> class."""
    s = _STEM_CACHE.get(word)
    if s is not None:
        return s
    s = word
    if len(word) > 4 and word.endswith("ies"):
        s = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        s = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        s = word[:-1]
    if len(_STEM_CACHE) < 200_000:
        _STEM_CACHE[word] = s
    return s


def words(text: str) -> list[str]:
    """Folded words of ``text``: case, accents and TeX folded; hyphens and all
    punctuation separate words (``[a-z][a-z0-9]+`` after folding)."""
    if not text:
        return []
    if text.isascii() and "\\" not in text and "$" not in text:
        return _WORD.findall(text.lower())  # the common case, without Unicode folding
    return _WORD.findall(fold(text))


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the model sees them (stopwords dropped, stemmed)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


class _TermMap(dict):
    """word -> its stemmed term ("" for a stopword), filled on first sight."""

    def __missing__(self, word: str) -> str:
        t = "" if word in STOPWORDS else stem(word)
        if len(self) < 200_000:
            self[word] = t
        return t


_TERMS = _TermMap()


def term_counts(rec: dict) -> dict[str, int]:
    """Term frequencies of a paper: title words count ``TITLE_BOOST`` times."""
    title = words(rec.get("title") or "")
    counts = Counter(map(_TERMS.__getitem__, title * TITLE_BOOST + words(rec.get("abstract") or "")))
    counts.pop("", None)
    return counts


class _SublinearTF(dict):
    """1 + ln(tf), memoised."""

    def __missing__(self, c: int) -> float:
        v = self[c] = 1.0 + math.log(c) if c > 0 else 0.0
        return v


_TF = _SublinearTF()


def _ints(data: bytes, code: str) -> memoryview:
    """``data`` as C integers of the array typecode ``code`` (``H`` or ``i``)."""
    view = memoryview(data)
    return view.cast("H") if code == "H" else view.cast("i")


class Profile:
    """The tagged papers as normalised TF-IDF vectors behind an inverted index.

    Search is in two phases so that its cost does not grow with how common a
    word is: terms carried by at most ``rare_df`` tagged papers go through the
    inverted index and pick the ``candidates`` most promising tagged papers;
    their exact cosine is then completed with the common terms. A tagged paper
    that shares only very common words with the paper being scored is not
    considered (its similarity would be low anyway).

    Every term the document frequencies know has a number (``vocab``): first the
    ``n_rare`` rare terms of the tagged papers (a rare term's number is its posting
    list), then their ``n_common`` common terms, then the terms only the background
    papers have (an idf and nothing else). The idfs, the posting lists and each tagged
    paper's common terms are flat packed arrays (C integers and doubles) with a start
    offset per list: a handful of bytes objects, read back from the store's cache at
    once (see build_profile).
    """

    def __init__(self, records: Iterable[dict], labels: dict[str, str] | None = None, *,
                 background: Iterable[dict] = (), candidates: int = 64,
                 rare_df: int | None = None) -> None:
        counted = []
        for r in records:
            c = term_counts(r)
            if c:
                counted.append((r, c))
        self.n = n = len(counted)
        df = Counter(chain.from_iterable(c for _, c in counted))
        profile_terms = set(df)
        # document frequencies over the tagged papers plus other stored papers, so
        # that words common in every abstract weigh little even for a short list
        own = {r["id"] for r, _ in counted}
        bg = [term_counts(r) for r in background if r.get("id") not in own]
        df.update(chain.from_iterable(bg))
        self.n_background = len(bg)
        n1 = n + len(bg) + 1
        log = math.log
        idf = {t: log(n1 / (1 + d)) + 1.0 for t, d in df.items()}
        self.idf_unseen = log(n1) + 1.0
        self.rare_df = rare_df if rare_df is not None else max(50, n // 30)
        self.candidates = candidates
        rare = sorted(t for t in profile_terms if df[t] <= self.rare_df)
        common = sorted(profile_terms.difference(rare))
        self.vocab = {t: j for j, t in enumerate(chain(rare, common, sorted(idf.keys() - profile_terms)))}
        self.n_rare = n_rare = len(rare)
        self.n_common = len(common)
        self.ids = [r["id"] for r, _ in counted]
        self.titles = [r.get("title") or "" for r, _ in counted]
        labels = labels or {}
        self.labels = [labels.get(i, "") for i in self.ids]
        vocab = self.vocab
        # (a tagged paper's or a common term's number in 2 bytes when there are few enough)
        doc_code = "H" if n <= 0xFFFF else "i"
        term_code = "H" if self.n_common <= 0xFFFF else "i"
        self.codes = doc_code + term_code  # the typecodes of the arrays of numbers of papers and of terms
        plists: list[tuple[array, array]] = [(array(doc_code), array("d")) for _ in rare]  # by rare term number
        common_term, common_weight, common_start = array(term_code), array("d"), array("i", [0])
        tf = _TF
        hypot = math.hypot
        for idx, (_, counts) in enumerate(counted):
            raw = {t: tf[c] * idf[t] for t, c in counts.items()}
            inv = 1.0 / hypot(*raw.values())
            mine = []
            for t, w in raw.items():
                j = vocab[t]
                if j < n_rare:
                    di, dw = plists[j]
                    di.append(idx)
                    dw.append(w * inv)
                else:
                    mine.append((j - n_rare, w * inv))
            mine.sort()  # a paper's common terms in the order of their numbers
            common_term.extend(j for j, _ in mine)
            common_weight.extend(w for _, w in mine)
            common_start.append(len(common_term))
        post_doc, post_weight, post_start = array(doc_code), array("d"), array("i", [0])
        for di, dw in plists:
            post_doc.extend(di)
            post_weight.extend(dw)
            post_start.append(len(post_doc))
        self.arrays = tuple(a.tobytes() for a in (array("d", map(idf.__getitem__, vocab)), post_start, post_doc,
                                                  post_weight, common_start, common_term, common_weight))
        self._derive()

    def _derive(self) -> None:
        self.index_of = {item_id: idx for idx, item_id in enumerate(self.ids)}
        idf, post_start, post_doc, post_weight, common_start, common_term, common_weight = self.arrays
        doc_code, term_code = self.codes[0], self.codes[1:]
        self._idf, self._post_weight, self._common_weight = (memoryview(b).cast("d") for b in
                                                             (idf, post_weight, common_weight))
        self._post_start, self._common_start = memoryview(post_start).cast("i"), memoryview(common_start).cast("i")
        self._post_doc, self._common_term = _ints(post_doc, doc_code), _ints(common_term, term_code)

    _STATE = ("n", "n_background", "idf_unseen", "rare_df", "candidates", "ids", "titles", "labels",
              "vocab", "n_rare", "n_common", "codes", "arrays")

    def state(self) -> tuple:
        """What the profile is made of (plain values, for marshal): :meth:`from_state` gives it back."""
        return tuple(getattr(self, name) for name in self._STATE)

    @classmethod
    def from_state(cls, state: tuple) -> Profile:
        if len(state) != len(cls._STATE):
            raise ValueError("a profile of another version")
        self = cls.__new__(cls)
        for name, value in zip(cls._STATE, state, strict=True):
            setattr(self, name, value)
        self._derive()
        if (len(self._post_start) != self.n_rare + 1 or len(self._common_start) != self.n + 1
                or len(self._idf) != len(self.vocab)):
            raise ValueError("a damaged profile")
        return self

    def __len__(self) -> int:
        return self.n

    def neighbours(self, rec: dict, k: int = 1) -> list[tuple[float, int]]:
        """The ``k`` most similar tagged papers as ``(cosine, index)``, best first."""
        counts = term_counts(rec)
        codes = list(map(self.vocab.get, counts))  # each term's number (None: unseen)
        idf = self._idf
        unseen = self.idf_unseen
        tf = _TF
        raw = [tf[c] * (unseen if j is None else idf[j]) for c, j in zip(counts.values(), codes, strict=True)]
        norm = math.hypot(*raw) if raw else 0.0
        if norm == 0:
            return []
        acc: dict[int, float] = {}
        get = acc.get
        n_rare = self.n_rare
        n_known = n_rare + self.n_common
        start, docs, weights = self._post_start, self._post_doc, self._post_weight
        query_common: list[tuple[int, float]] = []  # the paper's common terms (by number) and weights
        for j, w in zip(codes, raw, strict=True):
            if j is None:
                continue
            cw = w / norm
            if j < n_rare:
                a, b = start[j], start[j + 1]
                for d, pw in zip(docs[a:b], weights[a:b], strict=True):
                    acc[d] = get(d, 0.0) + cw * pw
            elif j < n_known:
                query_common.append((j - n_rare, cw))
        own = self.index_of.get(rec.get("id"))
        if own is not None:
            acc.pop(own, None)
        if not acc:
            return []
        if len(acc) > self.candidates:
            acc = dict(heapq.nlargest(self.candidates, acc.items(), key=itemgetter(1)))
        if query_common:
            dense = [0.0] * self.n_common  # the paper's weight of each common term
            for i, cw in query_common:
                dense[i] = cw
            pick = dense.__getitem__
            start, terms, weights = self._common_start, self._common_term, self._common_weight
            for d in acc:  # (the products summed in C: no Python code runs per term)
                a, b = start[d], start[d + 1]
                acc[d] += sum(map(mul, map(pick, terms[a:b]), weights[a:b]))
        best = heapq.nlargest(k, acc.items(), key=lambda kv: (kv[1], -kv[0]))
        return [(min(1.0, s), d) for d, s in best]


def _shorten(text: str, width: int = 100) -> str:
    t = clean(text)
    return t if len(t) <= width else t[: width - 1].rstrip() + "…"


def settings(cfg) -> tuple[list[str], float, float, int]:
    """(tags, weight, min_similarity, max_neighbours) from ``cfg.similarity``."""
    sim = getattr(cfg, "similarity", None) or {}
    tags = []
    for t in sim.get("tags") or []:
        nt = normalize_tag(t)
        if nt not in tags:
            tags.append(nt)
    return (tags, float(sim.get("weight", DEFAULT_WEIGHT)),
            float(sim.get("min_similarity", DEFAULT_MIN_SIMILARITY)),
            int(sim.get("max_neighbours", DEFAULT_NEIGHBOURS)))


def background_upto(top: int) -> int:
    """The index row the background papers end at, for a store whose latest row is ``top``: a
    multiple of :data:`BACKGROUND_STEP` (the whole store while it is smaller), so the background,
    and with it the cached profile, stays the same for many daily runs."""
    return top if top < BACKGROUND_STEP else top - top % BACKGROUND_STEP


def build_profile(store, tags: list[str], item_tags: Mapping[str, Iterable[str]]) -> Profile:
    """The profile of the stored papers carrying any of ``tags`` (``item_tags``: the reading
    list's tags, item id -> tags), from the store's cache when the papers it was built from
    (the tagged ones with their labels, and the background) are the same, at the same offsets."""
    labels: dict[str, str] = {}
    for item_id, have in item_tags.items():
        have = set(have)
        for t in tags:  # the label is the first configured tag the paper has
            if t in have:
                labels[item_id] = t
                break
    if not labels:
        return Profile([], labels)
    top = store.max_rowid()
    upto = background_upto(top)
    raw = store.cache_get(CACHE_NAME)
    if isinstance(raw, bytes):
        try:
            version, built_at, cached_labels, n_bg, bg, state = marshal.loads(raw)
            # the same tagged papers, none written (again) since: a new version or a paper tagged
            # before it was stored moves past the index row the profile was built at; and the
            # same background papers
            if (version == PROFILE_VERSION and cached_labels == labels and built_at <= top
                    and labels.keys().isdisjoint(store.ids_after_rowid(built_at))
                    and bg == store.recent_rows(n_bg, upto)):
                return Profile.from_state(state)
        except (ValueError, EOFError, TypeError):
            pass  # another version's or a damaged value: built again
    records = store.get_many(labels)
    n_bg = max(BACKGROUND_MIN, BACKGROUND - len(records))
    bg = store.recent_rows(n_bg, upto)
    profile = Profile(records, labels, background=store.recent_records(n_bg, upto=upto))
    store.cache_put(CACHE_NAME, marshal.dumps((PROFILE_VERSION, top, labels, n_bg, bg, profile.state())))
    return profile


def boost_from_profile(profile: Profile, *, weight: float = DEFAULT_WEIGHT,
                       min_similarity: float = DEFAULT_MIN_SIMILARITY,
                       max_neighbours: int = DEFAULT_NEIGHBOURS) -> Callable[[dict], list[Match]]:
    k = max(1, max_neighbours)
    memo: dict[str, list[Match]] = {}  # the ranker may score a paper twice (rank, then explain)

    def boost(rec: dict) -> list[Match]:
        item_id = rec.get("id")
        if item_id in memo:
            return list(memo[item_id])
        out = _boost(rec)
        if item_id is not None:
            memo[item_id] = out
        return list(out)

    def _boost(rec: dict) -> list[Match]:
        near = profile.neighbours(rec, k)
        if not near:
            return []
        sim = sum(s for s, _ in near) / k  # missing neighbours count as 0
        if sim < min_similarity or sim <= 0:
            return []
        best = near[0][1]
        label = profile.labels[best]
        term = f"similar to '{label}'" if label else "similar to your tagged papers"
        return [Match(term, "similarity", round(weight * sim, 3), _shorten(profile.titles[best]))]

    return boost


def similarity_boost(store, cfg, item_tags: Mapping[str, Iterable[str]]) -> Callable[[dict], list[Match]] | None:
    """The scorer's similarity contribution, or None when it is off or nothing is tagged."""
    tags, weight, min_sim, k = settings(cfg)
    if not tags or weight == 0:
        return None
    profile = build_profile(store, tags, item_tags)
    if not len(profile):
        return None
    return boost_from_profile(profile, weight=weight, min_similarity=min_sim, max_neighbours=k)


def check_similarity(check: Checker, table) -> dict:
    """Validate the ``[similarity]`` table: keys, types, tag names and ranges."""
    out = check.owned("similarity", table, SIMILARITY_KEYS)
    if "min_similarity" in table and not 0 <= table["min_similarity"] <= 1:
        raise check.fail("similarity.min_similarity", "must be between 0 and 1")
    if "max_neighbours" in table and not 1 <= table["max_neighbours"] <= MAX_NEIGHBOURS:
        raise check.fail("similarity.max_neighbours", f"must be between 1 and {MAX_NEIGHBOURS}")
    return out
