"""Generate realistic synthetic data for the benchmarks (never committed).

    python benchmarks/generate.py --out benchmarks/data --store-sizes 1000,100000,1000000

Writes, under --out:
  dumps/day-NNN.txt            100-item Daily Papers text dumps (fresh titles each)
  feed.xml, daily_papers.json  the same kind of papers as an arXiv Atom feed and HF JSON
  big_dump.txt                 a 20,000-item dump for the parser throughput row
  interests-{10,100,1000}.toml configs with that many interest terms
  store-{N}/                   stores of N items (items.jsonl + index), built fast
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = (
    "learning model models language large neural network networks training data diffusion transformer "
    "attention reinforcement policy reward agent agents vision image images video text speech audio "
    "retrieval generation generative graph graphs optimization gradient descent stochastic scaling laws "
    "benchmark benchmarks evaluation dataset datasets robust robustness adversarial alignment preference "
    "instruction tuning fine-tuning pre-training pretraining representation representations contrastive "
    "self-supervised supervised unsupervised semi-supervised token tokens embedding embeddings sparse "
    "dense mixture experts inference efficient efficiency latency memory compute hardware quantization "
    "pruning distillation knowledge reasoning chain thought mathematical theorem proof code program "
    "synthesis robot robotics manipulation navigation planning control world simulation physics "
    "molecule protein drug discovery medical clinical health weather climate forecasting time series "
    "tabular recommendation ranking search query document documents summarization translation "
    "multilingual low-resource question answering dialogue conversational safety privacy federated "
    "causal inference uncertainty calibration bayesian probabilistic variational autoencoder gan flow "
    "matching score energy sampling denoising consistency one-step video-language vision-language "
    "multimodal segmentation detection tracking depth 3d point cloud rendering nerf gaussian splatting "
    "we propose show that our method outperforms state-of-the-art approaches across tasks using only "
    "a small fraction of the parameters and achieves strong results on standard benchmarks while "
    "remaining simple to implement and analyse in theory and practice with extensive experiments"
).split()
FUNCTION_WORDS = ("the of and to a in for is that we on with by our this are as from an be which can "
                  "it at these or not more than both while into over such its their has have".split())
SYLLABLES = "ka ri to mel van sor di ne pla gru tek lo bis fen ar um zo qui tra nor el si po dex lum".split()


def _vocabulary() -> tuple[list[str], list[float]]:
    """Words in rank order (Zipf): function words, then ML words mixed with
    several thousand other words, as in real abstracts."""
    rng = random.Random(7)
    others = set()
    while len(others) < 6000:
        others.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    content = list(dict.fromkeys(WORDS)) + sorted(others)
    rng.shuffle(content)
    vocab = FUNCTION_WORDS + content
    weights, total = [], 0.0
    for rank in range(len(vocab)):
        total += 1.0 / (rank + 1) ** 1.05
        weights.append(total)
    return vocab, weights


VOCAB, CUM_WEIGHTS = _vocabulary()
CONTENT_START = len(FUNCTION_WORDS)
PER_RUN = 300
NAMES = ("Ada Chen Li Wang Zhang Liu Kumar Singh Garcia Müller Rossi Dubois Kim Park Nguyen Sato "
         "Suzuki Ivanova Smith Jones Brown Taylor Silva Costa Hansen Novak Kowalski Yilmaz Haddad").split()
ORGS = ["Amazon", "Google", "Meta", "Microsoft", "NVIDIA", None, None, None]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def words(rng: random.Random, k: int) -> list[str]:
    return rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=k)


def title(rng: random.Random, n: int) -> str:
    ws = [w for w in words(rng, 30) if w not in FUNCTION_WORDS][: rng.randint(5, 10)]
    return f"{' '.join(ws).capitalize()} {n}"


def abstract(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(7, 11)):
        ws = words(rng, rng.randint(14, 26))
        sentences.append(ws[0].capitalize() + " " + " ".join(ws[1:]) + ".")
    return " ".join(sentences)


def record(rng: random.Random, n: int) -> dict:
    from digest.identity import item_id

    t = title(rng, n)
    authors = [f"{rng.choice(NAMES)} {rng.choice(NAMES)}" for _ in range(rng.randint(1, 9))]
    aid = f"{rng.randint(2001, 2611):04d}.{n % 100000:05d}"
    run = 1 + (n % 10_000_000) // PER_RUN  # a daily run brings about PER_RUN papers
    day = datetime.date(2016, 1, 1) + datetime.timedelta(days=run)
    seen = f"{day.isoformat()}T07:30:00Z"
    return {
        "v": 1, "id": item_id(t), "title": t, "abstract": abstract(rng), "n_authors": len(authors),
        "authors": authors, "published": seen[:10], "upvotes": rng.randint(0, 80), "org": rng.choice(ORGS),
        "links": [f"https://arxiv.org/abs/{aid}"], "truncated": False, "arxiv_id": aid,
        "arxiv_version": 1, "url": f"https://arxiv.org/abs/{aid}", "categories": ["cs.LG"],
        "sources": ["bench"], "first_seen": seen, "last_seen": seen, "first_run": run, "last_run": run,
    }


def make_store(path: Path, n: int, seed: int = 1) -> None:
    from digest.store import Store

    if (path / "items.jsonl").exists() and (path / ".complete").exists():
        return
    path.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (path / "meta.json").write_text('{"format": 1}\n')
    with open(path / "items.jsonl", "w", encoding="utf-8") as fh:
        batch = []
        for i in range(n):
            batch.append(json.dumps(record(rng, 10_000_000 + i), ensure_ascii=False, separators=(",", ":")))
            if len(batch) >= 10000:
                fh.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            fh.write("\n".join(batch) + "\n")
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(str(path / "index.sqlite") + suffix)
        except FileNotFoundError:
            pass
    store = Store(path)
    with store:  # builds the index from the JSONL
        pass
    store.close()
    (path / ".complete").write_text("ok\n")


def dump_text(rng: random.Random, n_items: int, start: int) -> str:
    out = ["new", "", "Get trending papers in your email inbox!", "", "Subscribe", "", "Daily Papers", "",
           "byAK and the research community", "", "Nov 21", ""]
    for i in range(n_items):
        out += [title(rng, start + i), "", abstract(rng), ""]
        if rng.random() < 0.7:
            out += [f"  • {rng.randint(1, 12)} authors", "·",
                    f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, 2025 {rng.randint(0, 90)}", ""]
    return "\n".join(out) + "\n"


def feed_text(rng: random.Random, n_items: int, start: int, yymm: str = "2511") -> str:
    """An arXiv-style Atom feed of ``n_items`` papers with ids ``yymm.NNNNN`` (``yymm`` outside
    2001-2611, the range of the stores' ids, gives papers no store has seen)."""
    from xml.sax.saxutils import escape

    entries = []
    for i in range(n_items):
        aid = f"{yymm}.{(start + i) % 100000:05d}"
        authors = "".join(f"<author><name>{rng.choice(NAMES)} {rng.choice(NAMES)}</name></author>" for _ in range(3))
        entries.append(
            f"<entry><id>http://arxiv.org/abs/{aid}v1</id><published>2025-11-20T00:00:00Z</published>"
            f"<updated>2025-11-20T00:00:00Z</updated><title>{escape(title(rng, start + i))}</title>"
            f"<summary>{escape(abstract(rng))}</summary>{authors}"
            f'<link href="https://arxiv.org/abs/{aid}v1" rel="alternate" type="text/html"/>'
            f'<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/></entry>'
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>arXiv query</title><id>http://arxiv.org/api/bench</id><updated>2025-11-20T00:00:00Z</updated>"
            + "".join(entries) + "</feed>\n")


def hf_text(rng: random.Random, n_items: int, start: int) -> str:
    return json.dumps([
        {"paper": {"id": f"2511.{(start + i) % 100000:05d}", "title": title(rng, start + i),
                   "summary": abstract(rng), "authors": [{"name": f"{rng.choice(NAMES)} {rng.choice(NAMES)}"}],
                   "publishedAt": "2025-11-20T00:00:00.000Z", "upvotes": rng.randint(0, 50)}}
        for i in range(n_items)
    ])


def interests(rng: random.Random, n: int) -> str:
    terms: list[str] = []
    # interests are research topics: ML words and other content words
    base = VOCAB[CONTENT_START:CONTENT_START + 1500]  # frequent content words
    while len(terms) < n:
        k = rng.choice([1, 1, 2, 2, 3])
        term = " ".join(rng.sample(base, k))
        if rng.random() < 0.2:
            term = term[: max(3, len(term) - 2)] + "*"
        if term not in terms:
            terms.append(term)
    lines = ["[interests]"] + [f'"{t}" = {rng.choice([-1.0, 0.5, 1.0, 1.5, 2.0, 3.0])}' for t in terms]
    return "\n".join(lines) + "\n[show]\nlimit = 20\nmin_score = -1000\n"


def generate(out: Path, store_sizes: list[int], n_dumps: int = 12) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    (out / "dumps").mkdir(exist_ok=True)
    for d in range(n_dumps):
        p = out / "dumps" / f"day-{d:03d}.txt"
        if not p.exists():
            p.write_text(dump_text(rng, 100, 50_000_000 + d * 1000), encoding="utf-8")
    if not (out / "big_dump.txt").exists():
        (out / "big_dump.txt").write_text(dump_text(rng, 20_000, 60_000_000), encoding="utf-8")
    if not (out / "feed.xml").exists():
        (out / "feed.xml").write_text(feed_text(rng, 100, 70_000_000), encoding="utf-8")
    if not (out / "daily_papers.json").exists():
        (out / "daily_papers.json").write_text(hf_text(rng, 100, 80_000_000), encoding="utf-8")
    for n in (10, 100, 1000):
        p = out / f"interests-{n}.toml"
        if not p.exists():
            p.write_text(interests(random.Random(n), n), encoding="utf-8")
    for n in store_sizes:
        make_store(out / f"store-{n}", n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    ap.add_argument("--store-sizes", default="1000,100000,1000000")
    args = ap.parse_args()
    generate(args.out, [int(x) for x in args.store_sizes.split(",") if x])


if __name__ == "__main__":
    main()
