"""Dump parsing speed, by hand (not a test): ``python benchmarks/parse_speed.py [FILE...]``.

Parses each FILE (default: the packaged sample) repeatedly, plus a large
synthetic dump built from it with unique titles, and prints items/s for
the whole of ``parse_dump`` (decoding and ``Item`` construction included).
(``benchmarks/run.py`` measures the same on generated data as one of its rows.)
"""

from __future__ import annotations

import datetime
import sys
import time
from importlib import resources

from digest.item import Item
from digest.sources.dump import parse_dump


def main(argv: list[str]) -> None:
    if argv:
        blobs = [(path, open(path, "rb").read()) for path in argv]
    else:
        sample = resources.files("digest.data").joinpath("sample_dump.txt").read_bytes()
        blobs = [("sample_dump.txt", sample)]
    ref = datetime.date.today()
    for name, data in blobs:
        parsed = parse_dump(data, source=name, ref_date=ref).items
        rounds = max(1, 20000 // len(parsed))
        start = time.perf_counter()
        for _ in range(rounds):
            parse_dump(data, source=name, ref_date=ref)
        elapsed = (time.perf_counter() - start) / rounds
        # The share of that spent building Items (identity.item_id & co).
        fields = [(i.title, i.abstract, i.n_authors, i.published, i.upvotes, i.org) for i in parsed]
        start = time.perf_counter()
        for _ in range(rounds):
            for t, a, na, pub, up, org in fields:
                Item(title=t, abstract=a, n_authors=na, published=pub, upvotes=up, org=org, source=name)
        building = (time.perf_counter() - start) / rounds
        print(
            f"{name}: {len(parsed)} items, {len(parsed) / elapsed:,.0f} items/s "
            f"({elapsed / len(parsed) * 1e6:.1f} us/item, of which Item() {building / len(parsed) * 1e6:.1f} us; "
            f"without it {len(parsed) / max(elapsed - building, 1e-9):,.0f} items/s)"
        )

    # One large dump: the first file's entries repeated under unique titles.
    name, data = blobs[0]
    result = parse_dump(data, source=name, ref_date=ref)
    blocks = []
    for k in range(20000 // len(result.items) + 1):
        for item in result.items:
            meta = ""
            if item.published:
                day = datetime.date.fromisoformat(item.published)
                meta = f"\n\n  • {item.n_authors or 3} authors\n·\n{day:%b} {day.day}, {day.year}"
            blocks.append(f"{item.title} (copy {k})\n\n{item.abstract}{meta}\n")
    big = ("Daily Papers\n\nNov 14\n\n" + "\n".join(blocks)).encode("utf-8")
    start = time.perf_counter()
    result = parse_dump(big, source="synthetic", ref_date=ref)
    elapsed = time.perf_counter() - start
    print(f"synthetic ({len(big) / 1e6:.1f} MB): {len(result.items)} items, {len(result.items) / elapsed:,.0f} items/s")


if __name__ == "__main__":
    main(sys.argv[1:])
