"""Learned term weights: what the reader's votes say about words, as term weights.

Votes (:class:`digest.ranking.feedback.Feedback`: +1 kept, tagged or noted, -1 not
interested) train a linear model over the same word features the keyword matcher
sees, so its weights *are* term weights: the scorer adds the learned terms to its
one Aho-Corasick automaton and scoring stays one pass per field, and ``explain``
can say exactly what was learned::

    +2.10  learned  in votes  sparse +0.8, pruning +0.6, survey -0.4 … from 23 votes

The model (a smoothed log-odds ratio, i.e. Bernoulli naive Bayes with an
informative prior; closed form, so it rebuilds in milliseconds):

- features: the words of title and abstract as :func:`digest.ranking.match.normalize`
  writes them (a hyphenated word counts whole and in parts), minus function words,
  abstract boilerplate, numbers and one- and two-letter words;
- for each word, ``p``/``n``: how many positively/negatively voted papers have it
  (``P``/``N`` in all); ``pi``: its rate among recently stored papers (the
  background, smoothed);
- ``rate+ = (p + PRIOR*pi) / (P + PRIOR)`` and ``rate- = (n + PRIOR*pi) / (N + PRIOR)``:
  with few votes both stay near the background rate (``PRIOR`` = 10 papers' worth);
  weight = ``logit(rate+) - logit(rate-)``, times the confidence ``V / (V + CONFIDENCE)``
  (``V`` votes in all, ``CONFIDENCE`` = 10), clipped to ``±CAP``, times ``[learning] weight``;
- a word needs ``MIN_SUPPORT`` (2) voted papers: one vote alone teaches nothing, and no
  single vote can add more than its share to any word;
- the ``max_terms`` words of largest weight are kept (the model is what ``explain``
  and ``digest tune`` show; a long tail of tiny weights would hide it).

A term's contribution to a paper is ``weight x field weight`` for each field it
occurs in, like a configured interest.

Cache: ``learned.json`` in the store holds the learned terms and the signature of
what they were built from (the size and tail of ``events.jsonl``, the
``[learning]`` settings, the feature version); a daily command reads it and
nothing else. When new events arrive the model is rebuilt from
``learned-state.json`` (each voted paper's features and the background
frequencies), reading only the newly voted papers from the store.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from digest.ranking.match import normalize
from digest.ranking.similarity import STOPWORDS
from digest.store.format import EVENTS, LEARNED, LEARNED_STATE

PRIOR = 10.0  # papers' worth of background belief on each side
CONFIDENCE = 10.0  # votes at which the weights reach half their full size
MIN_SUPPORT = 2  # voted papers a word needs before it gets a weight
CAP = 1.5  # largest |weight| of one word, before [learning] weight
BACKGROUND = 1000  # recently stored papers for the background rates
REFRESH_GROWTH = 1.2  # the background is re-read when the store has grown by this factor
FIELDS = ("title", "abstract")
CACHE_FORMAT = 1


# --------------------------------------------------------------------------- features
class WordFeatures:
    """The feature space of the model: which keys a paper has, and the term that matches a key.

    This is the one place that knows how a text becomes features; a matcher with
    stemming would swap in a feature space whose keys are stems and whose ``term`` is
    the stem's config spelling, and nothing else here changes."""

    version = "words-1"

    def keys(self, text: str) -> set[str]:
        out: set[str] = set()
        for chunk in normalize(text).decode("utf-8", "replace").split():
            parts = [p for p in chunk.split("-") if p]
            if not parts:
                continue
            whole = "".join(parts)
            for w in (whole, *parts) if len(parts) > 1 else (whole,):
                if len(w) > 2 and not w.isdigit() and w not in STOPWORDS and not w[0].isdigit():
                    out.add(w)
        return out

    def paper_keys(self, rec: dict) -> set[str]:
        return self.keys(rec.get("title") or "") | self.keys(rec.get("abstract") or "")

    def term(self, key: str) -> str:
        return key  # a one-word term matches the word and its hyphenated spellings


FEATURES = WordFeatures()


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class LearnedTerm:
    term: str
    weight: float  # before the field weight
    pos: int  # positively voted papers with the word
    neg: int  # negatively voted papers with the word


@dataclass
class Model:
    terms: list[LearnedTerm] = field(default_factory=list)
    votes: int = 0
    pos: int = 0
    neg: int = 0

    def to_json(self) -> dict:
        return {"votes": self.votes, "pos": self.pos, "neg": self.neg,
                "terms": [[t.term, t.weight, t.pos, t.neg] for t in self.terms]}

    @classmethod
    def from_json(cls, d: dict) -> Model:
        return cls([LearnedTerm(str(t), float(w), int(p), int(n)) for t, w, p, n in d["terms"]],
                   int(d["votes"]), int(d["pos"]), int(d["neg"]))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def train(features: Mapping[str, Iterable[str]], votes: Mapping[str, int], background: Counter, n_background: int,
          *, max_terms: int = 40, scale: float = 1.0) -> Model:
    """The model from each voted paper's features (id -> keys), the votes (id -> +1/-1) and the
    background document frequencies over ``n_background`` papers."""
    pos_df: Counter = Counter()
    neg_df: Counter = Counter()
    n_pos = n_neg = 0
    for item_id, v in votes.items():
        keys = features.get(item_id)
        if keys is None or not v:
            continue
        if v > 0:
            n_pos += 1
            pos_df.update(keys)
        else:
            n_neg += 1
            neg_df.update(keys)
    total = n_pos + n_neg
    model = Model(votes=total, pos=n_pos, neg=n_neg)
    if total < MIN_SUPPORT or max_terms <= 0 or scale <= 0 or not n_pos:
        return model
    confidence = total / (total + CONFIDENCE)
    nb = max(0, n_background)
    scored = []
    for w in pos_df.keys() | neg_df.keys():
        p, n = pos_df[w], neg_df[w]
        if p + n < MIN_SUPPORT:
            continue
        pi = (background.get(w, 0) + 0.5) / (nb + 1.0)
        pi = min(max(pi, 1e-4), 0.5)
        r1 = (p + PRIOR * pi) / (n_pos + PRIOR)
        r0 = (n + PRIOR * pi) / (n_neg + PRIOR)
        weight = max(-CAP, min(CAP, confidence * (_logit(r1) - _logit(r0))))
        if abs(weight) >= 0.05:
            scored.append((abs(weight), p + n, w, weight, p, n))
    scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
    model.terms = [LearnedTerm(FEATURES.term(w), round(weight * scale, 3), p, n)
                   for _, _, w, weight, p, n in scored[:max_terms]]
    return model


# --------------------------------------------------------------------------- the cache
def _tail_signature(path: Path) -> str:
    """The size and a hash of the last 4 kB of an append-only file: it changes with every append."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read()
    except FileNotFoundError:
        return "none"
    return f"{size}:{hashlib.sha1(tail).hexdigest()[:16]}"


def _settings_key(max_terms: int, scale: float, tags: Iterable[str]) -> str:
    return json.dumps([FEATURES.version, CACHE_FORMAT, max_terms, scale, sorted(tags),
                       PRIOR, CONFIDENCE, MIN_SUPPORT, CAP])


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == CACHE_FORMAT else None


def _write_json(path: Path, data: dict) -> None:
    """Write a cache file atomically; a store that cannot be written just goes without a cache."""
    from digest.errors import StoreError
    from digest.store.files import atomic_write

    try:
        atomic_write(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))
    except (OSError, StoreError):
        pass


def cached_model(store, votes: Mapping[str, int], *, max_terms: int, scale: float,
                 tags: Iterable[str] = ()) -> Model:
    """The model for ``votes``: from ``learned.json`` when nothing changed since it was built
    (no new events, same settings), else rebuilt (incrementally) and cached."""
    root = Path(store.root)
    key = _settings_key(max_terms, scale, tags)
    sig = _tail_signature(root / EVENTS)
    cached = _read_json(root / LEARNED)
    if cached and cached.get("events") == sig and cached.get("settings") == key:
        try:
            return Model.from_json(cached["model"])
        except (KeyError, TypeError, ValueError):
            pass
    model = rebuild(store, votes, max_terms=max_terms, scale=scale)
    if root.is_dir():
        _write_json(root / LEARNED, {"format": CACHE_FORMAT, "events": sig, "settings": key,
                                     "model": model.to_json()})
    return model


def rebuild(store, votes: Mapping[str, int], *, max_terms: int, scale: float) -> Model:
    """Train from ``learned-state.json``: the features of papers voted before are kept there, so
    only newly voted papers are read from the store; the background is re-read when the store
    has grown by a fifth since."""
    root = Path(store.root)
    state = _read_json(root / LEARNED_STATE) or {}
    if state.get("features_version") != FEATURES.version:
        state = {}
    features: dict[str, list[str]] = {}
    old = state.get("features")
    if isinstance(old, dict):
        features = {i: f for i, f in old.items() if i in votes and isinstance(f, list)}
    missing = [i for i in votes if i not in features]
    changed = bool(missing) or len(features) != len(old or {})
    if missing:
        for rec in store.get_many(missing):
            features[rec["id"]] = sorted(FEATURES.paper_keys(rec))
    bg = state.get("background")
    size = store.items_path.stat().st_size if store.items_path.exists() else 0
    if not isinstance(bg, dict) or size > REFRESH_GROWTH * bg.get("size", 0) or "df" not in bg:
        recent = [r for r in store.recent_records(BACKGROUND + len(votes)) if r["id"] not in votes][:BACKGROUND]
        df: Counter = Counter()
        for rec in recent:
            df.update(FEATURES.paper_keys(rec))
        bg = {"size": size, "n": len(recent), "df": dict(df)}
        changed = True
    if changed and root.is_dir():
        _write_json(root / LEARNED_STATE, {"format": CACHE_FORMAT, "features_version": FEATURES.version,
                                           "features": features, "background": bg})
    return train(features, votes, Counter(bg["df"]), int(bg["n"]), max_terms=max_terms, scale=scale)
