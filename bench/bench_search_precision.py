"""Search speed per size × stored precision, each precision searched with its own exact kernel
(core.analysis.indexes, as the Retrieval quality and Fidelity pages time them): single queries
one at a time on one core (median and 95th percentile), a batch of queries on every core
(queries per second), the index's bytes in memory and what rescoring keeps beside it, and
agreement@10 with float32 at the same size (the share of its top 10 each precision returns).

The corpus is synthetic by default: unit vectors whose energy falls off with the dimension (as
a Matryoshka model's do), the queries noisy copies of corpus documents; --vectors reads an .npy
of real ones instead (its first --queries rows, with noise, are the queries). Prints the
machine, its load before and after, and a markdown table; writes
bench/results/search-precision-<n>x<d>.json.

  .venv/bin/python bench/bench_search_precision.py --size 100000 --dim 256 --dims 256,128,64
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from core.analysis.indexes import (  # noqa: E402
    PRECISIONS,
    build_indexes,
    kept_for_rescoring,
    single_query_ms,
    speed,
    timed_search,
)
from core.analysis.knn import knn_recall  # noqa: E402
from core.analysis.measures import prefix_points  # noqa: E402
from core.runtime import machine  # noqa: E402
from core.runtime.units import size_text  # noqa: E402

RESULTS = HERE / "results"
DEPTH = 10


def vectors(size: int, dim: int, queries: int, seed: int, path: Path | None):
    """(corpus, queries), float32: synthetic with a falling spectrum, or read from `path`."""
    rng = np.random.default_rng(seed)
    if path is not None:
        corpus = np.load(path).astype(np.float32)[:size]
    else:
        corpus = rng.normal(size=(size, dim)).astype(np.float32)
        corpus /= np.sqrt(np.arange(1, corpus.shape[1] + 1, dtype=np.float32)) ** 0.5
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    spread = corpus.std(axis=0)
    asked = corpus[rng.choice(len(corpus), queries, replace=False)]
    asked = asked + 0.5 * spread * rng.normal(size=asked.shape).astype(np.float32)
    return corpus, asked.astype(np.float32)


def measure(corpus, asked, dims, measure_name: str, singles: int, repeats: int) -> list[dict]:
    rows = []
    for dim in dims:
        points = prefix_points(corpus, dim, measure_name)
        queries = prefix_points(asked, dim, measure_name)
        reference = None
        for precision, index in build_indexes(points, PRECISIONS, measure_name).items():
            prepared = index.prepare(queries)
            found, per_second = timed_search(index, prepared, DEPTH)
            if reference is None:
                reference = found
            single = single_query_ms(index, prepared, DEPTH, singles=singles, repeats=repeats)
            fast = speed(single, per_second, len(queries))
            rows.append(
                {
                    "dim": dim,
                    "precision": precision,
                    "ms_p50": fast.ms_p50,
                    "ms_p95": fast.ms_p95,
                    "queries_per_second": fast.queries_per_second,
                    "batch": fast.batch,
                    "index_bytes": index.bytes,
                    "kept_for_rescoring": kept_for_rescoring(index),
                    "agreement_at_10": float(knn_recall(reference, found).mean()),
                    "kernel": index.kernel,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| dims | precision | ms/query p50 | p95 | queries/s (batch) | index in memory "
        "| kept for rescoring | agreement@10 with float32 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        kept = r["kept_for_rescoring"]
        lines.append(
            f"| {r['dim']} | {r['precision']} | {r['ms_p50']:.3f} | {r['ms_p95']:.3f} | "
            f"{r['queries_per_second']:,.0f} | {size_text(r['index_bytes'])} | {kept} | "
            f"{r['agreement_at_10']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--dims", default="256,128,64", help="sizes to measure, comma-separated")
    parser.add_argument("--queries", type=int, default=1_000, help="the batch's queries")
    parser.add_argument("--singles", type=int, default=20, help="single queries timed")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each")
    parser.add_argument("--measure", default="cosine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vectors", type=Path, help="an .npy of real vectors to use instead")
    args = parser.parse_args()
    dims = [int(d) for d in args.dims.split(",")]
    print(f"machine: {machine.description()}; load before: {os.getloadavg()}", flush=True)
    corpus, asked = vectors(args.size, args.dim, args.queries, args.seed, args.vectors)
    start = time.perf_counter()
    rows = measure(corpus, asked, dims, args.measure, args.singles, args.repeats)
    print(f"load after: {os.getloadavg()}; {time.perf_counter() - start:.1f} s")
    print(markdown(rows))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"search-precision-{len(corpus)}x{corpus.shape[1]}.json"
    record = {"machine": machine.description(), "args": vars(args) | {"vectors": str(args.vectors)}}
    path.write_text(json.dumps(record | {"rows": rows}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
