"""How long a user waits for the first real map of a large corpus, as the app computes it: one
fresh process with an empty cache folder (no embeddings, no compiled kernels), the default model
embedding a docstring corpus, then the app's background precompute, polled as the Explore page
polls it. Prints seconds from the start to: embeddings ready, the first map that is not a PCA
preview (a sketch or the full UMAP map), the full-size numbers, and the full-size UMAP map.

    python bench/bench_first_map.py --docs 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--cache", help="cache folder to use (default: a new empty one)")
    args = parser.parse_args()

    import docstring_corpus

    path = docstring_corpus.corpora([args.docs], HERE / "results" / "corpora")[0][args.docs]
    cache = args.cache or tempfile.mkdtemp(prefix="mge-first-map-")
    os.environ["MGE_CACHE_DIR"] = cache
    os.environ.pop("NUMBA_CACHE_DIR", None)

    import pandas as pd

    start = time.perf_counter()
    from core.embed.models import WORDLLAMA
    from core.io.corpus import Corpus
    from core.pipeline import Choice, Pipeline, default_ordering
    from core.runtime.store import ResultStore
    from core.schedule.background import precompute

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    corpus = Corpus("docstrings", tuple(table.text), tuple(table.id), tuple(table.label))
    pipe = Pipeline(Choice(corpus, WORDLLAMA, default_ordering(WORDLLAMA)), store=ResultStore())
    pipe.ordered()
    seen = {"embeddings": time.perf_counter() - start}
    job = precompute(pipe, pipe.full)
    while "full UMAP map" not in seen:
        now = time.perf_counter() - start
        _, is_umap = pipe.map_coords(pipe.full)
        if is_umap or pipe.sketched(pipe.full) is not None:
            seen.setdefault("first real map", now)
        if is_umap:
            seen["full UMAP map"] = now
        if pipe.ready_views():
            seen.setdefault("full-size numbers", now)
        if job.error:
            raise SystemExit(job.error)
        time.sleep(0.25)
    job.cancelled = True
    job.join()
    print(f"{args.docs:,} docstring passages, cache {cache}")
    for name, seconds in sorted(seen.items(), key=lambda item: item[1]):
        print(f"  {name:<20} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
