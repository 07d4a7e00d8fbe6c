"""Static embedding models read from files on disk: token vectors, mean-pooled.

Two layouts, told apart by their files (``[semantic] model = "PATH"``; by default the
folder of the installed ``wordllama`` package, which ships its weights):

- a *wordllama* folder: ``weights/*.safetensors`` holding ``embedding.weight`` and
  ``tokenizers/*.json`` (a ``tokenizers`` file). wordllama's own loader looks for the
  tokenizer in a folder that does not exist and then downloads it; the package is
  never imported here, only its files are read.
- a *model2vec* folder: ``config.json``, ``model.safetensors`` (``embeddings``,
  optionally ``weights`` per token and ``mapping`` for a quantised vocabulary) and
  ``tokenizer.json``.

Nothing is downloaded, ever. The safetensors file is memory-mapped after checking its
header (the format: a little-endian u64 header length, a JSON header, raw data), so a
load costs the tokenizer's ~30 ms and only the rows of tokens seen are read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from digest.errors import ConfigError

_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
           "I64": "<i8", "U8": "u1", "BF16": "<u2"}
MAX_HEADER = 100 * 2**20


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file, memory-mapped (BF16 converted to float32)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            if not 0 < n <= min(MAX_HEADER, size - 8):
                raise ConfigError("not a safetensors file", path=path)
            header = json.loads(fh.read(n))
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError("not a safetensors file (bad header)", path=path) from None
    if not isinstance(header, dict):
        raise ConfigError("not a safetensors file (bad header)", path=path)
    out: dict[str, np.ndarray] = {}
    base = 8 + n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_DTYPES[info["dtype"]])
            shape = tuple(int(x) for x in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"tensor {name!r}: unsupported or malformed entry", path=path) from None
        count = int(np.prod(shape, dtype=np.int64))
        if begin < 0 or end - begin != count * dtype.itemsize or base + end > size:
            raise ConfigError(f"tensor {name!r}: size does not match its shape", path=path)
        if count == 0:
            arr = np.zeros(shape, dtype)
        else:
            arr = np.memmap(path, dtype=dtype, mode="r", offset=base + begin, shape=shape)
        if info["dtype"] == "BF16":
            arr = (np.asarray(arr).astype(np.uint32) << 16).view(np.float32)
        out[name] = arr
    return out


class StaticModel:
    """Turns texts into unit vectors: the mean of their tokens' vectors."""

    def __init__(self, vectors: np.ndarray, tokenizer: Tokenizer, *, weights: np.ndarray | None = None,
                 mapping: np.ndarray | None = None, unk_id: int | None = None,
                 max_tokens: int | None = None, name: str = "", fingerprint: str = "") -> None:
        if vectors.ndim != 2 or not vectors.shape[0] or not vectors.shape[1]:
            raise ValueError("token vectors must be a non-empty matrix")
        self.vectors = vectors
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float32).reshape(-1)
        self.mapping = None if mapping is None else np.asarray(mapping, dtype=np.int64).reshape(-1)
        n_ids = len(self.mapping) if self.mapping is not None else len(vectors)
        if self.mapping is not None and (self.mapping.min() < 0 or self.mapping.max() >= len(vectors)):
            raise ValueError("mapping points outside the vectors")
        if self.weights is not None and len(self.weights) < n_ids:
            raise ValueError("fewer token weights than tokens")
        self.n_ids = n_ids
        self.tokenizer = tokenizer
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.unk_id = unk_id
        self.max_tokens = max_tokens
        self.dim = int(vectors.shape[1])
        self.name = name
        self.fingerprint = fingerprint

    def embed(self, texts: list[str], batch: int = 128) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length (zero for a text with no known token)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch):
            chunk = texts[start:start + batch]
            encodings = self.tokenizer.encode_batch_fast(chunk, add_special_tokens=False)
            ids = []
            for enc in encodings:
                row = enc.ids
                if self.unk_id is not None:
                    row = [i for i in row if i != self.unk_id]
                ids.append(row[: self.max_tokens] if self.max_tokens else row)
            lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            total = int(lens.sum())
            if not total:
                continue
            flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=total)
            np.clip(flat, 0, self.n_ids - 1, out=flat)
            uniq, inv = np.unique(flat, return_inverse=True)
            counts = np.zeros((len(chunk), len(uniq)), dtype=np.float32)
            np.add.at(counts, (np.repeat(np.arange(len(chunk)), lens), inv), 1.0)
            rows = np.asarray(self.vectors[uniq if self.mapping is None else self.mapping[uniq]],
                              dtype=np.float32)
            if self.weights is not None:
                rows = rows * self.weights[uniq, None]
            out[start:start + len(chunk)] = counts @ rows  # sums; normalised below (mean = same direction)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def default_model_dir() -> Path | None:
    """The installed wordllama package's folder (found, not imported), or None."""
    from importlib.util import find_spec

    try:
        spec = find_spec("wordllama")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _fingerprint(*files: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        st = f.stat()
        h.update(f.name.encode() + b"\0" + str(st.st_size).encode() + b"\0")
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 16))  # the header (and the first rows) of each file
    return h.hexdigest()


def _tokenizer(path: Path) -> Tokenizer:
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises its own Exception type for bad files
        raise ConfigError(f"not a tokenizers file: {str(exc).splitlines()[0] if str(exc) else exc}",
                          path=path) from None


_LOADED: dict[str, StaticModel] = {}


def load_model(path: Path | None = None) -> StaticModel:
    """The model in folder ``path`` (default: wordllama's packaged files), loaded once per process."""
    key = str(path)
    if key not in _LOADED:
        _LOADED[key] = _load(path)
    return _LOADED[key]


def _load(path: Path | None) -> StaticModel:
    if path is None:
        path = default_model_dir()
        if path is None:
            raise ConfigError("the semantic model is not installed: pip install 'digest[semantic]'")
    path = Path(path).expanduser()
    if not path.is_dir():
        raise ConfigError("model folder not found", path=path)
    try:
        m2v = [path / "config.json", path / "model.safetensors", path / "tokenizer.json"]
        if all(f.is_file() for f in m2v):
            try:
                cfg = json.loads(m2v[0].read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise ConfigError("config.json is not JSON", path=path) from None
            tensors = read_safetensors(m2v[1])
            if "embeddings" not in tensors:
                raise ConfigError("model.safetensors has no 'embeddings' tensor", path=path)
            tok = _tokenizer(m2v[2])
            spec = json.loads(tok.to_str()).get("model", {})
            unk = spec.get("unk_token")
            unk_id = tok.token_to_id(unk) if unk else spec.get("unk_id")
            max_len = cfg.get("max_length", 512) if isinstance(cfg, dict) else 512
            return StaticModel(tensors["embeddings"], tok, weights=tensors.get("weights"),
                               mapping=tensors.get("mapping"), unk_id=unk_id,
                               max_tokens=max_len if isinstance(max_len, int) and max_len > 0 else None,
                               name=path.name, fingerprint=_fingerprint(*m2v))
        weights = sorted((path / "weights").glob("*.safetensors"))
        toks = sorted((path / "tokenizers").glob("*.json"))
        if weights and toks:
            tensors = read_safetensors(weights[0])
            if "embedding.weight" not in tensors:
                raise ConfigError("no 'embedding.weight' tensor", path=weights[0])
            return StaticModel(tensors["embedding.weight"], _tokenizer(toks[0]), name=weights[0].stem,
                               fingerprint=_fingerprint(weights[0], toks[0]))
    except ValueError as exc:
        raise ConfigError(f"not a usable model: {exc}", path=path) from None
    raise ConfigError("not a model folder (expected a model2vec folder: config.json, model.safetensors, "
                      "tokenizer.json; or a wordllama folder: weights/*.safetensors, tokenizers/*.json)",
                      path=path)
