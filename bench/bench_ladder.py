"""Benchmark: precompute the default ladder for N short documents with the default model.

Prints seconds per stage for the demo corpus (360 docs) and a 5,000-document corpus made by
recombining demo sentences (synthetic, deterministic), plus the per-step cost of a slider move
from cached results. Not a pass/fail test. Usage: python bench/bench_ladder.py [--docs 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.analysis.fidelity import fidelity_table  # noqa: E402
from core.analysis.keywords import TermCounts, community_names  # noqa: E402
from core.analysis.ladder import compute_views, default_dims  # noqa: E402
from core.embed.models import WORDLLAMA, embed, load_model  # noqa: E402
from core.embed.ordering import order_dimensions  # noqa: E402
from core.io.corpus import Corpus, load_demo_corpus  # noqa: E402
from core.viz.figures import hover_texts, map_figure, network_figure  # noqa: E402
from core.viz.layout import ladder_layouts, warm_up  # noqa: E402
from core.viz.network import build_network_html  # noqa: E402


def synthetic_corpus(n: int, seed: int = 0) -> Corpus:
    """n short documents, each two demo documents of one topic joined and lightly shuffled."""
    demo = load_demo_corpus()
    rng = np.random.default_rng(seed)
    topics = np.array(demo.labels)
    texts, labels = [], []
    for i in range(n):
        topic = demo.labels[i % len(demo)]
        a, b = rng.choice(np.flatnonzero(topics == topic), size=2, replace=False)
        words = f"{demo.texts[a]} {demo.texts[b]}".split()
        cut = rng.integers(len(words) // 3, len(words))
        texts.append(" ".join(words[cut:] + words[:cut]))
        labels.append(topic)
    return Corpus("synthetic", tuple(texts), tuple(f"s{i}" for i in range(n)), tuple(labels))


def timed(results: dict, name: str, fn):
    start = time.perf_counter()
    value = fn()
    results[name] = round(time.perf_counter() - start, 3)
    print(f"  {name:<34} {results[name]:8.2f} s", flush=True)
    return value


def bench(corpus: Corpus) -> dict:
    print(f"{corpus.name}: {len(corpus)} documents")
    out: dict = {"documents": len(corpus)}
    timed(out, "load model (once per process)", lambda: load_model(WORDLLAMA))
    with tempfile.TemporaryDirectory() as cache:
        raw = timed(
            out,
            "embed (cold, no cache)",
            lambda: embed(corpus.texts, WORDLLAMA, cache_root=Path(cache)),
        )
        timed(
            out,
            "embed (from disk cache)",
            lambda: embed(corpus.texts, WORDLLAMA, cache_root=Path(cache)),
        )
    vectors = order_dimensions(raw, "native").vectors
    dims = default_dims(vectors.shape[1], WORDLLAMA.matryoshka_dims)
    out["dims"] = dims
    terms = timed(out, "keyword counts", lambda: TermCounts(corpus.texts))
    views = timed(
        out, "graphs + communities (all dims)", lambda: compute_views(vectors, dims, terms)
    )
    layouts = timed(out, "UMAP maps (all dims, chained)", lambda: ladder_layouts(vectors, dims))
    timed(
        out,
        "fidelity table (with latency)",
        lambda: fidelity_table(
            vectors,
            dims,
            communities={d: v.communities for d, v in views.items()},
            neighbours={d: v.neighbours for d, v in views.items()},
        ),
    )
    out["precompute total"] = round(
        sum(
            out[k]
            for k in (
                "embed (cold, no cache)",
                "keyword counts",
                "graphs + communities (all dims)",
                "UMAP maps (all dims, chained)",
            )
        ),
        2,
    )
    print(f"  {'precompute total':<34} {out['precompute total']:8.2f} s")
    hover = hover_texts(corpus.texts, corpus.ids, corpus.labels)
    steps = []
    for dim in dims:
        start = time.perf_counter()
        view = views[dim]
        names = community_names(view.keywords)
        map_figure(layouts[dim], view.communities, names, hover).to_json()
        network_figure(layouts[dim], view.graph, view.communities, names, hover).to_json()
        build_network_html(
            layouts[dim], view.graph, view.communities, names, corpus.texts, corpus.ids
        )
        steps.append(time.perf_counter() - start)
    out["slider step from cache (median s)"] = round(float(np.median(steps)), 3)
    print(f"  {'slider step from cache (median)':<34} {np.median(steps):8.3f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MGE_CACHE_DIR", str(Path(tempfile.gettempdir()) / "mge-bench"))
    start = time.perf_counter()
    warm_up()
    first_compile = round(time.perf_counter() - start, 2)
    print(f"UMAP warm-up (numba compile or load from cache): {first_compile} s")
    report = {
        "umap warm-up": first_compile,
        "cores": os.cpu_count(),
        "demo": bench(load_demo_corpus()),
        "synthetic": bench(synthetic_corpus(args.docs)),
    }
    target = Path(__file__).parent / "results" / "ladder.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(report, indent=1))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
