"""Learned term weights: what the reader's votes say about words, as term weights.

Votes (:class:`digest.ranking.feedback.Feedback`: +1 kept, tagged or noted, -1 not
interested) train a linear model over the same word features the keyword matcher
sees, so its weights *are* term weights: the scorer adds the learned terms to its
one Aho-Corasick automaton and scoring stays one pass per field, and ``explain``
can say exactly what was learned::

    +2.10  learned  in votes  sparse +0.8, pruning +0.6, survey -0.4 … from 23 votes

The model (closed form: counting, a significance test and a log ratio per word, so it
rebuilds in milliseconds and every weight can be read off its counts):

- features: the stem keys (:func:`digest.words.stem_key`) of the words of title and abstract
  as :func:`digest.words.normalize` writes them (a hyphenated word counts whole and in parts),
  minus function words, abstract boilerplate, numbers and one- and two-letter words
  (:class:`WordFeatures`): ``policy`` and ``policies`` are one feature, as they are one term;
- for each word: ``p`` of the ``P`` papers voted for have it, ``n`` of the ``N`` voted
  against, ``b`` of the ``B`` background papers (recently stored, not voted on);
- *for* a paper: the word's rate among kept papers, ``q = p / P``, against its rate among
  everything not kept, ``r = (n + b + 0.5) / (N + B + 1)``; *against*: ``n / N`` against
  ``(p + b + 0.5) / (P + B + 1)``;
- a word is kept only when ``q > r`` is unlikely to be luck: ``P * KL(q || r) >= ln 1000``
  (the Chernoff bound on the chance of ``p`` or more: below 0.001, so among a thousand
  candidate words about one passes by chance), and only with ``MIN_SUPPORT`` (2) voted
  papers: one vote alone teaches nothing;
- weight = ``ln(((p + 0.5) / (P + 1)) / r)`` capped at ``CAP`` (1.5), times the confidence
  ``V / (V + CONFIDENCE)`` (``V`` votes in all, ``CONFIDENCE`` = 10: 5 votes give a third,
  20 votes two thirds), times ``[learning] weight``, negative for words of rejected papers;
- the ``max_terms`` words with the strongest evidence are kept: the model is what
  ``explain`` and ``digest tune`` show, and a long tail of tiny weights would hide it.

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

import json
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path

from digest.ranking.similarity import STOPWORDS
from digest.records import dataclass
from digest.store.format import EVENTS, LEARNED, LEARNED_STATE
from digest.words import KEY_VERSION, is_spaceless, normalize, stem_key

CONFIDENCE = 10.0  # votes at which the weights reach half their full size
MIN_SUPPORT = 2  # voted papers a word needs before it gets a weight
EVIDENCE = math.log(1000)  # a word must be this unlikely by chance: p < 0.001 (a Chernoff bound)
CAP = 1.5  # largest |weight| of one word, before the confidence and [learning] weight
BACKGROUND = 1000  # recently stored papers for the background rates
REFRESH_GROWTH = 1.2  # the background is re-read when the store has grown by this factor
FIELDS = ("title", "abstract")
CACHE_FORMAT = 1


# --------------------------------------------------------------------------- features
class WordFeatures:
    """The feature space of the model: which keys a paper has, and the term that matches a key.

    A key is a word's stem key (:func:`digest.words.stem_key`, the key the matcher expands
    interest terms by: ``policy`` = ``policies``, ``distil`` = ``distillation``), so a
    learned weight is the weight of a term, and the term written for a key is the shortest
    form of it seen in the voted papers (``policy``), which the scorer expands back into
    every form the store has seen. This is the one place that knows how a text becomes
    features."""

    version = f"stems-{KEY_VERSION}"  # (the keys are the features: new keys, new features)

    def keys(self, text: str) -> dict[str, str]:
        """key -> the shortest form of it in ``text`` (ties: alphabetical)."""
        out: dict[str, str] = {}
        for chunk in normalize(text).decode("utf-8", "replace").split():
            parts = [p for p in chunk.split("-") if p]
            if not parts:
                continue
            whole = "".join(parts)
            for w in (whole, *parts) if len(parts) > 1 else (whole,):
                if len(w) > 2 and not w[0].isdigit() and w not in STOPWORDS and not is_spaceless(w):
                    k = stem_key(w)
                    old = out.get(k)
                    if old is None or (len(w), w) < (len(old), old):
                        out[k] = w
        return out

    def paper_keys(self, rec: dict) -> dict[str, str]:
        keys = self.keys(rec.get("title") or "")
        for k, w in self.keys(rec.get("abstract") or "").items():
            old = keys.get(k)
            if old is None or (len(w), w) < (len(old), old):
                keys[k] = w
        return keys


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


def _kl(q: float, r: float) -> float:
    """Kullback-Leibler divergence between Bernoulli(q) and Bernoulli(r)."""
    out = q * math.log(q / r) if q > 0 else 0.0
    return out + ((1 - q) * math.log((1 - q) / (1 - r)) if q < 1 else 0.0)


def train(features: Mapping[str, Iterable[str]], votes: Mapping[str, int], background: Counter, n_background: int,
          *, max_terms: int = 40, scale: float = 1.0, surfaces: Mapping[str, str] | None = None) -> Model:
    """The model from each voted paper's features (id -> keys), the votes (id -> +1/-1), the
    background document frequencies over ``n_background`` papers and the form written for
    each key (``surfaces``; the key itself when missing)."""
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
    if total < MIN_SUPPORT or max_terms <= 0 or scale <= 0:
        return model
    confidence = total / (total + CONFIDENCE)
    nb = max(0, n_background)
    chosen = []
    for w in sorted(pos_df.keys() | neg_df.keys()):
        p, n, b = pos_df[w], neg_df[w], background.get(w, 0)
        if p + n < MIN_SUPPORT:
            continue
        # for: the rate among kept papers against the rate among all papers not kept (the
        # papers voted against and the background); against: the other way round. A word
        # common in both (a configured term every voted paper has) cancels out.
        weight = evidence = 0.0
        for sign, k, size, ref, ref_size in ((1, p, n_pos, n + b, n_neg + nb), (-1, n, n_neg, p + b, n_pos + nb)):
            if k < MIN_SUPPORT or not size:
                continue
            q = k / size
            r = (ref + 0.5) / (ref_size + 1.0)
            if q <= r:
                continue
            e = size * _kl(q, r)  # -ln of a bound on the chance of k or more by luck (Chernoff)
            if e < EVIDENCE:
                continue
            weight += sign * min(CAP, math.log(((k + 0.5) / (size + 1.0)) / r))
            evidence = max(evidence, e)
        weight *= confidence
        if abs(weight) >= 0.05:
            chosen.append((evidence, w, weight, p, n))
    chosen.sort(key=lambda x: (-x[0], x[1]))
    surfaces = surfaces or {}
    model.terms = [LearnedTerm(surfaces.get(w, w), round(weight * scale, 3), p, n)
                   for _, w, weight, p, n in chosen[:max_terms]]
    return model


# --------------------------------------------------------------------------- the cache
def _tail_signature(path: Path) -> str:
    """The size and a CRC-32 of the last 4 kB of an append-only file: it changes with every
    append (a checksum is enough to notice a change; hashlib would cost ~2 ms to import)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read()
    except FileNotFoundError:
        return "none"
    return f"{size}:{zlib.crc32(tail):08x}"


def _settings_key(max_terms: int, scale: float, tags: Iterable[str]) -> str:
    return json.dumps([FEATURES.version, CACHE_FORMAT, max_terms, scale, sorted(tags),
                       CONFIDENCE, MIN_SUPPORT, EVIDENCE, CAP])


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
    surfaces: dict[str, str] = dict(state.get("surfaces") or {})
    missing = [i for i in votes if i not in features]
    changed = bool(missing) or len(features) != len(old or {})
    if missing:
        for rec in store.get_many(missing):
            keys = FEATURES.paper_keys(rec)
            features[rec["id"]] = sorted(keys)
            for k, w in keys.items():
                known = surfaces.get(k)
                if known is None or (len(w), w) < (len(known), known):
                    surfaces[k] = w
    bg = state.get("background")
    size = store.items_path.stat().st_size if store.items_path.exists() else 0
    if not isinstance(bg, dict) or size > REFRESH_GROWTH * bg.get("size", 0) or "df" not in bg:
        recent = [r for r in store.recent_records(BACKGROUND + len(votes)) if r["id"] not in votes][:BACKGROUND]
        df: Counter = Counter()
        for rec in recent:
            df.update(FEATURES.paper_keys(rec).keys())
        bg = {"size": size, "n": len(recent), "df": dict(df)}
        changed = True
    if changed and root.is_dir():
        _write_json(root / LEARNED_STATE, {"format": CACHE_FORMAT, "features_version": FEATURES.version,
                                           "features": features, "surfaces": surfaces, "background": bg})
    return train(features, votes, Counter(bg["df"]), int(bg["n"]), max_terms=max_terms, scale=scale,
                 surfaces=surfaces)
