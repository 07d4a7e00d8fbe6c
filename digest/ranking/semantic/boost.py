"""The semantic contribution to a score, and keeping the vector cache up to date.

For a paper p and an *anchor* a (an interest term with a positive weight, or a paper
carrying a keep tag), with cos the cosine between their vectors:

    z_a(p)      = (cos(p, a) - mean cos(b, a)) / sd cos(b, a)       b over the background:
    semantic(p) = weight * max_a rel_a * max(0, z_a(p) - Z0)         the last BACKGROUND cached papers

where ``rel_a`` is the term's weight over the largest interest weight (1 for a kept
paper). Measuring closeness against the user's own papers makes the number independent
of the model (each model has its own range of cosines) and damps anchors that are
close to everything, as idf damps common words; only papers clearly closer than usual
(``Z0`` standard deviations) get anything, and the nearest anchor alone counts, so two
synonyms do not count twice. It shows like any other contribution::

    semantic +2.3: close to "efficient inference" (0.61)
    semantic +1.1: close to your kept paper "Scaling Laws for ..." (0.58)

(the number in brackets is the cosine). Measured on the development set in
benchmarks/RESULTS.md, where the default weight is chosen.

Three alternatives, measured there against this default (the "design study"; equal in the
blend, so not the default) and kept selectable by module constants for benchmarks/ranking.py:
``INTERESTS_AS = "profile"`` compares with one anchor, the weight-averaged vector of the
terms (Rocchio's query vector), instead of the nearest term; ``KEPT_AS = "centroid"`` with
the mean of the kept papers less the background's mean (Rocchio's relevance feedback; a
kept paper meets the centroid of the others); ``TITLE_SHARE = 2`` makes a paper's vector
its title's and its abstract's unit vectors 2 : 1 (part of the cache's fingerprint). With
a combined anchor the explanation names the term or kept paper the paper is most unusually
close to (weight x its own z).

Vectors come from the cache (:mod:`.cache`), which the writers keep up to date under
the store lock: :func:`catch_up` embeds the records appended since the cache last
covered ``items.jsonl`` (a day's papers), or every record whose text has no row when the
file was rewritten or the cache is missing. A reader that finds it stale takes the lock
and catches it up, as the index does; a paper that still has no row (a read-only store)
is embedded in memory for that command.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np

from digest.errors import StoreError
from digest.ranking.score import Match
from digest.ranking.semantic import SemanticSettings
from digest.ranking.semantic.cache import VectorCache, record_key, text_key, text_of
from digest.ranking.semantic.model import StaticModel, load_model
from digest.records import dataclass
from digest.store import Store
from digest.store.scan import iter_range
from digest.text import clean

Z0 = 1.0  # standard deviations above the background's mean before a paper gets anything
# How anchors are compared (the design study above; only benchmarks/ranking.py sets another):
INTERESTS_CHOICES = ("nearest", "profile")  # each term alone, the nearest counts / their weighted mean
KEPT_CHOICES = ("nearest", "centroid")  # each kept paper alone / their mean less the background's mean
INTERESTS_AS = "nearest"
KEPT_AS = "nearest"
TITLE_SHARE = 0.0  # a paper's vector: title and abstract embedded apart, TITLE_SHARE : 1 (0: one text)
BACKGROUND = 1000  # the latest cached papers, for each anchor's mean and spread of cosines
MIN_BACKGROUND = 20  # fewer cached papers than this: no contribution (no spread to measure)
CHUNK = 4096  # papers embedded / scored per batch
LONG_CATCH_UP = 8 * 2**20  # bytes of items.jsonl to catch up above which keys are looked up in a sorted table


def cache_fingerprint(model: StaticModel) -> str:
    """The model's fingerprint, and how a paper's text is pooled into one vector when that is
    not the single text: a cache made another way is not used."""
    if not TITLE_SHARE:
        return model.fingerprint
    return hashlib.blake2b(f"{model.fingerprint}\0title:{TITLE_SHARE:g}".encode(), digest_size=16).hexdigest()


def open_cache(store: Store, model: StaticModel) -> VectorCache:
    return VectorCache(store.root, model.dim, cache_fingerprint(model))


def embed_records(model: StaticModel, recs: list[dict]) -> np.ndarray:
    """The papers' vectors (unit rows): their text as one, or title and abstract apart and
    combined ``TITLE_SHARE : 1``."""
    if not TITLE_SHARE:
        return model.embed([text_of(r) for r in recs])
    title = model.embed([r.get("title") or "" for r in recs])
    abstract = model.embed([r.get("abstract") or "" for r in recs])
    out = TITLE_SHARE * title + abstract
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _items_sig(store: Store) -> tuple[int, str]:
    try:
        size = store.items_path.stat().st_size
    except FileNotFoundError:
        return 0, ""
    return size, store.index.tail_at(size) if size else ""


def is_fresh(store: Store, cache: VectorCache) -> bool:
    cov = cache.coverage()
    return bool(cov) and (cov["size"], cov["tail"]) == _items_sig(store)


def catch_up(store: Store, model: StaticModel, cache: VectorCache | None = None) -> int:
    """Give every current record of ``items.jsonl`` a row (store lock held): the records
    after the covered size when the file only grew, else all of them (rows whose text is
    already cached are kept). Returns how many texts were embedded."""
    if not store.locked:
        raise RuntimeError("semantic cache write without the lock")  # a programming error
    cache = cache or open_cache(store, model)
    size, tail = _items_sig(store)
    cov = cache.coverage()
    if cov and (cov["size"], cov["tail"]) == (size, tail):
        return 0
    start, superseded = 0, set[int]()
    if cov and 0 < cov["size"] <= size and store.index.tail_at(cov["size"]) == cov["tail"]:
        start = cov["size"]  # the file only grew: the appended records
    elif size:
        plan = store.scan_plan(1)
        superseded = plan.superseded if plan is not None else set()
    # rows already cached: for a long catch-up the sorted key table of the rows there at the
    # start (built once), for a day's papers a lookup per batch; plus what this one appends
    many = size - start > LONG_CATCH_UP
    old_order, old_keys = cache.sorted_keys() if many else (np.zeros(0, np.int64), np.zeros(0, np.uint64))
    added: dict[int, int] = {}
    embedded = 0
    offsets: list[int] = []
    recs: list[dict] = []
    map_offs: list[np.ndarray] = []
    map_rows: list[np.ndarray] = []

    def flush() -> int:
        if not recs:
            return 0
        keys = np.fromiter((record_key(r) for r in recs), dtype=np.uint64, count=len(recs))
        rows = np.full(len(recs), -1, dtype=np.int64)
        if not many:
            # a day's papers: their texts are new, or (an updated paper) in the latest rows; a text
            # last cached before those gets a second, identical row rather than a pass over all keys
            rows = cache.find(keys, everywhere=False)
        elif len(old_keys):
            pos = np.minimum(np.searchsorted(old_keys, keys), len(old_keys) - 1)
            hit = old_keys[pos] == keys
            rows[hit] = old_order[pos[hit]]
        todo: dict[int, int] = {}  # key -> the first record in this batch with that text
        for i in np.flatnonzero(rows < 0).tolist():
            k = int(keys[i])
            if k in added:
                rows[i] = added[k]
            else:
                todo.setdefault(k, i)
        if todo:
            first = cache.n
            idx = list(todo.values())
            cache.append(keys[idx], embed_records(model, [recs[i] for i in idx]))
            for j, k in enumerate(todo):
                added[k] = first + j
            for i in np.flatnonzero(rows < 0).tolist():
                rows[i] = added[int(keys[i])]
        map_offs.append(np.asarray(offsets, dtype=np.uint64))
        map_rows.append(rows.astype(np.uint64))
        recs.clear()
        offsets.clear()
        return len(todo)

    if size:
        for off, _n, rec in iter_range(store.items_path, start, size, superseded):
            recs.append(rec)
            offsets.append(off)
            if len(recs) >= CHUNK:
                embedded += flush()
        embedded += flush()
    if map_offs or start == 0:
        cache.map_lines(np.concatenate(map_offs) if map_offs else np.zeros(0, dtype=np.uint64),
                        np.concatenate(map_rows) if map_rows else np.zeros(0, dtype=np.uint64), start=start)
    cache.set_coverage(size, tail)
    return embedded


def ensure_fresh(store: Store, model: StaticModel, cache: VectorCache) -> str | None:
    """Catch the cache up if it is stale, taking the lock when not held. A store that cannot
    be written (read-only, full) is not an error: a warning, and vectors made in memory."""
    if is_fresh(store, cache):
        return None
    try:
        if store.locked:
            catch_up(store, model, cache)
        else:
            with store:
                catch_up(store, model, cache)
    except StoreError as exc:
        if exc.exit_code != StoreError.exit_code:
            raise  # busy: like any other command that cannot get the lock
        return f"semantic cache not updated ({exc}); papers embedded for this command only"
    cache.reopen()
    return None


@dataclass
class Anchors:
    """What papers are compared with. The *anchors* are what an explanation names (each interest
    term, each kept paper), with their background statistics; the *columns* are what a score is
    computed from: an anchor alone, or several anchors' combined vector (``members``)."""

    labels: list[str]  # what the explain line names
    kept_ids: list[str | None]  # the kept paper's id (None for a term): never compared with itself
    vectors: np.ndarray  # (n, dim) float32
    rel: np.ndarray  # (n,) relative weight
    mean: np.ndarray  # (n,) background mean cosine
    sd: np.ndarray  # (n,) background spread
    col_vectors: np.ndarray  # (m, dim) float32, unit rows
    col_rel: np.ndarray  # (m,)
    col_mean: np.ndarray  # (m,)
    col_sd: np.ndarray  # (m,)
    members: list[np.ndarray]  # per column: the anchors it stands for
    # a kept paper's column computed without it: (column, vector or None for none, mean, sd)
    own: dict[str, tuple[int, np.ndarray | None, float, float]]


class SemanticBoost:
    """The scorer's semantic contribution (``Scorer(extra=[...])``): called per paper for the
    explanation, with :meth:`prepare` for a batch and :meth:`fast` for the number alone."""

    def __init__(self, model: StaticModel, cache: VectorCache, anchors: Anchors, weight: float,
                 *, fresh: bool = False) -> None:
        self.fresh = fresh  # the cache covers items.jsonl: its offset entries may be used
        self.model = model
        self.cache = cache
        self.anchors = anchors
        self.weight = weight
        self._vt = np.ascontiguousarray(anchors.col_vectors.T, dtype=np.float32)
        # the latest batch: id -> position, and per position the contribution, column, vector
        self._pos: dict[str, int] = {}
        self._vals: list[float] = []
        self._best = np.zeros(0, dtype=np.int64)
        self._v = np.zeros((0, model.dim), dtype=np.float32)

    # ------------------------------------------------------------------ scoring
    def _compute(self, recs: list[dict], offsets: np.ndarray | None = None
                 ) -> tuple[list[float], np.ndarray, np.ndarray]:
        """(contribution, best column, vector) of each paper."""
        a = self.anchors
        v = vectors_for(self.model, self.cache, recs, offsets if self.fresh else None)
        z = (v @ self._vt - a.col_mean) / a.col_sd
        if a.own:  # a kept paper is never compared with itself
            for i, r in enumerate(recs):
                own = a.own.get(r.get("id"))  # type: ignore[arg-type]
                if own is not None:
                    col, vec, mean, sd = own
                    z[i, col] = -np.inf if vec is None else (float(v[i] @ vec) - mean) / sd
        s = a.col_rel * np.maximum(0.0, z - Z0)
        best = s.argmax(axis=1)
        vals = np.round(self.weight * s[np.arange(len(recs)), best], 1)  # shown as 'semantic +2.3'
        return vals.tolist(), best, v

    def prepare(self, recs: list[dict], offsets: list[int] | None = None) -> None:
        """Score a batch at once (one cache lookup, one matrix product); remembered until
        the next batch. ``offsets``: the records' lines in items.jsonl, when a scan knows them."""
        pos = self._pos
        if recs and all(r.get("id") in pos for r in recs):
            return  # already done (a filter prepared this batch before ranking it)
        offs = np.asarray(offsets, dtype=np.uint64) if offsets is not None else None
        self._vals, self._best, self._v = self._compute(recs, offs)
        self._pos = {r.get("id"): i for i, r in enumerate(recs)}  # type: ignore[misc]

    def prepare_for_scan(self) -> None:
        """Before a parallel full rescore forks: the sorted key table, built once and shared."""
        self.cache.sorted_keys()

    def fast(self, rec: dict) -> float:
        i = self._pos.get(rec.get("id"))  # type: ignore[arg-type]
        return self._vals[i] if i is not None else self._compute([rec])[0][0]

    def _named(self, v: np.ndarray, col: int, rec_id: str | None) -> int:
        """The anchor an explanation names for a paper scored by column ``col``: among those the
        column stands for, the one the paper is most unusually close to (weight × z)."""
        a = self.anchors
        idx = a.members[col]
        if len(idx) == 1:
            return int(idx[0])
        z = a.rel[idx] * (a.vectors[idx] @ v - a.mean[idx]) / a.sd[idx]
        for k, i in enumerate(idx):
            if a.kept_ids[i] is not None and a.kept_ids[i] == rec_id:
                z[k] = -np.inf
        return int(idx[int(z.argmax())])

    def __call__(self, rec: dict) -> list[Match]:
        i = self._pos.get(rec.get("id"))  # type: ignore[arg-type]
        if i is not None:
            value, col, v = self._vals[i], int(self._best[i]), self._v[i]
        else:
            vals, best, vs = self._compute([rec])
            value, col, v = vals[0], int(best[0]), vs[0]
        if value <= 0:
            return []
        a = self.anchors
        j = self._named(v, col, rec.get("id"))
        cos = float(a.vectors[j] @ v)
        label = a.labels[j]
        what = f'close to your kept paper "{label}"' if a.kept_ids[j] is not None else f'close to "{label}"'
        return [Match(f"{what} ({cos:.2f})", "semantic", value)]


def vectors_for(model: StaticModel, cache: VectorCache, recs: list[dict],
                offsets: np.ndarray | None = None) -> np.ndarray:
    """The vectors of the papers' texts: by the record lines' offsets when given (a scan of a
    fresh cache), else by the hash of their texts; embedded here for any without a row."""
    out = np.zeros((len(recs), model.dim), dtype=np.float32)
    if not recs:
        return out
    rows = cache.rows_at(offsets) if offsets is not None else np.full(len(recs), -1, dtype=np.int64)
    miss = np.flatnonzero(rows < 0)
    if len(miss):
        rows[miss] = cache.find(np.fromiter((record_key(recs[i]) for i in miss), dtype=np.uint64,
                                            count=len(miss)))
    have = rows >= 0
    if have.all():
        return cache.vectors(rows)
    if have.any():
        out[have] = cache.vectors(rows[have])
    todo = np.flatnonzero(~have)
    out[todo] = embed_records(model, [recs[i] for i in todo])
    return out


def _shorten(text: str, width: int = 70) -> str:
    t = clean(text)
    return t if len(t) <= width else t[: width - 1].rstrip() + "…"


def _stats(background: np.ndarray, vecs: np.ndarray, skip: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of the background's cosines with each (unit) row of ``vecs``, leaving out
    the background rows marked in ``skip``."""
    bg = background if skip is None or not skip.any() or skip.all() else background[~skip]
    cos = bg.astype(np.float64) @ vecs.T.astype(np.float64)
    return cos.mean(axis=0), np.maximum(cos.std(axis=0), 1e-6)


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 1e-6 else None


def build_anchors(model: StaticModel, cache: VectorCache, interests: Mapping[str, float],
                  kept: list[dict], background: np.ndarray, background_keys: np.ndarray) -> Anchors | None:
    """The anchors, the columns scored (``INTERESTS_AS``, ``KEPT_AS``) and their background
    statistics (a kept paper's own row left out of its own)."""
    if INTERESTS_AS not in INTERESTS_CHOICES or KEPT_AS not in KEPT_CHOICES:
        raise ValueError(f"unknown design {INTERESTS_AS!r}, {KEPT_AS!r}")  # a programming error
    labels: list[str] = []
    kept_ids: list[str | None] = []
    own: list[int | None] = []  # the text key of a kept paper
    vecs: list[np.ndarray] = []
    rel: list[float] = []
    wanted = {t: w for t, w in interests.items() if w > 0 and t.strip().rstrip("*").strip()}
    if wanted:
        top = max(wanted.values())
        names = list(wanted)
        vecs.append(model.embed([t.strip().rstrip("*").strip() for t in names]))
        labels += names
        kept_ids += [None] * len(names)
        own += [None] * len(names)
        rel += [wanted[t] / top for t in names]
    if kept:
        texts = [text_of(r) for r in kept]
        vecs.append(vectors_for(model, cache, kept))
        labels += [_shorten(r.get("title") or "(untitled)") for r in kept]
        kept_ids += [r["id"] for r in kept]
        own += [text_key(t) for t in texts]
        rel += [1.0] * len(kept)
    if not labels:
        return None
    a = np.concatenate(vecs).astype(np.float32)
    idx = np.flatnonzero(np.linalg.norm(a, axis=1) > 0)  # a term with no known token says nothing
    if not len(idx):
        return None
    a = a[idx]
    labels = [labels[i] for i in idx]
    kept_ids = [kept_ids[i] for i in idx]
    own = [own[i] for i in idx]
    r = np.asarray(rel, dtype=np.float64)[idx]
    mean, sd = _stats(background, a)
    bg_keys = np.asarray(background_keys, dtype=np.uint64)
    for i, k in enumerate(own):
        if k is not None and (bg_keys == k).any():
            m, s = _stats(background, a[i:i + 1], bg_keys == k)
            mean[i], sd[i] = m[0], s[0]
    terms = [i for i, k in enumerate(kept_ids) if k is None]
    kept_at = [i for i, k in enumerate(kept_ids) if k is not None]
    cols: list[np.ndarray] = []
    col_rel: list[float] = []
    members: list[np.ndarray] = []
    col_stats: list[tuple[float, float]] = []
    own_cols: dict[str, tuple[int, np.ndarray | None, float, float]] = {}
    if terms and INTERESTS_AS == "profile":  # one column: the weight-averaged term vector
        q = _unit((r[terms, None] * a[terms]).sum(axis=0))
        if q is not None:
            cols.append(q)
            col_rel.append(1.0)
            members.append(np.asarray(terms))
            m, s = _stats(background, q[None])
            col_stats.append((float(m[0]), float(s[0])))
    elif terms:
        for i in terms:
            cols.append(a[i])
            col_rel.append(float(r[i]))
            members.append(np.asarray([i]))
            col_stats.append((float(mean[i]), float(sd[i])))
    if kept_at and KEPT_AS == "centroid":  # one column: the kept papers' mean less the background's
        skip = np.isin(bg_keys, np.asarray([k for k in own if k is not None], dtype=np.uint64))
        rest = background[~skip] if (~skip).any() else background
        mu = rest.astype(np.float64).mean(axis=0)
        c = _unit(a[kept_at].astype(np.float64).mean(axis=0) - mu)
        if c is not None:
            col = len(cols)
            cols.append(c)
            col_rel.append(1.0)
            members.append(np.asarray(kept_at))
            m, s = _stats(background, c[None], skip)
            col_stats.append((float(m[0]), float(s[0])))
            for i in kept_at:  # a kept paper meets the centroid of the others
                others = [j for j in kept_at if j != i]
                loo = _unit(a[others].astype(np.float64).mean(axis=0) - mu) if others else None
                if loo is None:
                    own_cols[kept_ids[i]] = (col, None, 0.0, 1.0)  # type: ignore[index]
                else:
                    m, s = _stats(background, loo[None], skip)
                    own_cols[kept_ids[i]] = (col, loo, float(m[0]), float(s[0]))  # type: ignore[index]
    elif kept_at:
        for i in kept_at:
            own_cols[kept_ids[i]] = (len(cols), None, 0.0, 1.0)  # type: ignore[index]
            cols.append(a[i])
            col_rel.append(1.0)
            members.append(np.asarray([i]))
            col_stats.append((float(mean[i]), float(sd[i])))
    if not cols:
        return None
    return Anchors(labels, kept_ids, a, r, mean, sd, np.asarray(cols, dtype=np.float32),
                   np.asarray(col_rel, dtype=np.float64), np.asarray([m for m, _ in col_stats]),
                   np.asarray([s for _, s in col_stats]), members, own_cols)


def semantic_boost(store: Store, cfg, settings: SemanticSettings,
                   item_tags: Mapping[str, Iterable[str]] | None) -> SemanticBoost | None:
    """The scorer's semantic contribution for ``cfg``: None when there is nothing to compare
    with, or too few cached papers to measure closeness. A warning goes to ``store.warnings``."""
    model = load_model(settings.model)
    cache = open_cache(store, model)
    w = ensure_fresh(store, model, cache) if store.exists() else None
    if w:
        store.warnings.append(w)
    background = cache.recent(BACKGROUND)
    if len(background) < MIN_BACKGROUND:
        return None
    kept: list[dict] = []
    if settings.kept and item_tags:
        wanted = set(settings.tags)
        ids = [i for i, tags in item_tags.items() if wanted.intersection(tags)]
        kept = store.get_many(ids) if ids else []
    anchors = build_anchors(model, cache, cfg.interests if settings.interests else {}, kept, background,
                            cache.recent_keys(BACKGROUND))
    if anchors is None:
        return None
    return SemanticBoost(model, cache, anchors, settings.weight, fresh=store.exists() and w is None)
