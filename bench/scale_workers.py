"""The two measured runs of bench_scale, each meant for a fresh process (peak RSS per run):
our Pipeline, and a naive dense-matrix + networkx + per-size UMAP baseline."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import warnings
from functools import partial
from pathlib import Path

SEED = 42


def peak_rss(pid: int | str = "self") -> int:
    """A process's peak resident memory in bytes (Linux VmHWM: this process image only)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


class TreePeak:
    """The most resident memory this process and its descendants (map workers) held at once:
    their summed RSS sampled twice a second, and never less than this process's own peak."""

    def __init__(self) -> None:
        import psutil
        from process_tree import tree_memory

        self._peak = 0
        self._done = threading.Event()

        def sample() -> None:
            while not self._done.wait(0.5):
                self._peak = max(self._peak, tree_memory(psutil.Process())[1])

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return max(self._peak, peak_rss())


class Clock:
    """Seconds and peak RSS after each named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_after: dict[str, int] = {}

    def __call__(self, name: str, fn):
        start = time.perf_counter()
        value = fn()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        self.rss_after[name] = peak_rss()
        return value


def _setup(numba_cache: str, clock: Clock) -> None:
    """Point numba at a persistent cache and compile (or load) the kernels of exact search, UMAP
    and NNDescent, the same for both runs, so no timed stage pays a one-off compile."""
    os.environ["NUMBA_CACHE_DIR"] = numba_cache
    warnings.filterwarnings("ignore", category=UserWarning)  # UMAP notes n_jobs=1 under a seed
    warnings.filterwarnings("ignore", category=FutureWarning)

    def warm() -> None:
        import numpy as np
        import umap

        from core.schedule.warmup import warm_kernels

        warm_kernels()  # first: it sets the options UMAP's kernels are compiled with
        data = np.random.default_rng(0).normal(size=(4200, 8)).astype(np.float32)
        umap.UMAP(metric="cosine", n_epochs=5, random_state=0).fit(data)  # > 4096 rows: NNDescent

    clock("warm-up", warm)


def _nmi(labels, communities) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return round(float(normalized_mutual_info_score(labels, communities)), 4)


def run_ours(csv_path: str, ladder: list[int], k: int, numba_cache: str, vectors_out: str) -> dict:
    """Our Pipeline with the default model: embed (cold cache), views (kNN, graph, communities,
    keywords, recall), chained UMAP maps, the fidelity table and the CLI's default outputs
    (lineage, cluster tree, multi-layer graph and the project folder), each timed."""
    clock = Clock()
    _setup(numba_cache, clock)
    tree = TreePeak()
    with tempfile.TemporaryDirectory() as cold:
        os.environ["MGE_CACHE_DIR"] = cold  # a cold embedding cache; numba's stays warm
        import numpy as np
        import pandas as pd

        from core.analysis.ladder import GraphSettings
        from core.embed.models import WORDLLAMA, load_model
        from core.io.corpus import Corpus
        from core.outputs import Outputs, write_outputs
        from core.pipeline import Choice, Pipeline, default_ordering
        from core.runtime.store import ResultStore

        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        corpus = Corpus("docstrings", tuple(table.text), tuple(table.id), tuple(table.label))
        clock("model load", lambda: load_model(WORDLLAMA))
        settings = GraphSettings(k=k, seed=SEED)
        choice = Choice(corpus, WORDLLAMA, default_ordering(WORDLLAMA))
        pipe = Pipeline(choice, settings=settings, ladder=ladder, store=ResultStore())
        setup_rss = peak_rss()
        clock("embed", pipe.ordered)
        views = clock("graph+communities", pipe.views)
        clock("UMAP", pipe.layouts)
        fidelity = clock("fidelity", pipe.fidelity)
        out = Path(cold) / "out"
        clock("write", lambda: write_outputs(pipe, Outputs(out, project=out / "project")))
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        np.save(vectors_out, pipe.vectors)
    full = views[pipe.full].communities
    return {
        "dims": pipe.dims,
        "seconds": clock.seconds,
        "rss_after": clock.rss_after,
        "rss_after_setup": setup_rss,
        "peak_rss": peak_rss(),
        "tree_peak_rss": tree.stop(),
        "store_bytes": pipe.store.used_bytes,
        "written_bytes": written,
        "communities": {d: v.community_count for d, v in views.items()},
        "nmi_vs_package_full": _nmi(corpus.labels, full),
        "fidelity": fidelity.to_dict("records"),
    }


def run_naive(
    vectors_path: str, labels: list[str], dims: list[int], k: int, numba_cache: str
) -> dict:
    """Per size: a dense sklearn cosine matrix, a networkx kNN graph from it, networkx Louvain, a
    fresh cosine UMAP fit on the truncated vectors, and the graph written as GraphML with each
    node's community and map position; the embeddings are ours, loaded from disk."""
    clock = Clock()
    _setup(numba_cache, clock)
    import networkx as nx
    import numpy as np
    import umap
    from sklearn.metrics.pairwise import cosine_similarity

    vectors = np.load(vectors_path)
    n = vectors.shape[0]
    setup_rss = peak_rss()
    communities, nmi, written = {}, None, 0

    def graph(sims: np.ndarray) -> nx.Graph:
        np.fill_diagonal(sims, -np.inf)
        top = np.argpartition(sims, -k, axis=1)[:, -k:]
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from(
            (i, int(j), max(float(sims[i, j]), 1e-6)) for i in range(n) for j in top[i]
        )
        return g

    with tempfile.TemporaryDirectory(prefix="naive-") as out:
        for dim in dims:
            x = vectors[:, :dim]
            sims = clock("similarity matrix", lambda x=x: cosine_similarity(x))
            g = clock("kNN graph", lambda sims=sims: graph(sims))
            del sims
            parts = clock(
                "Louvain",
                lambda g=g: nx.community.louvain_communities(g, weight="weight", seed=SEED),
            )
            communities[dim] = len(parts)
            if nmi is None:
                membership = np.empty(n, dtype=np.int64)
                for label, members in enumerate(parts):
                    membership[list(members)] = label
                nmi = _nmi(labels, membership)
            coords = clock(
                "UMAP", lambda x=x: umap.UMAP(metric="cosine", random_state=SEED).fit_transform(x)
            )
            path = Path(out) / f"{dim}d.graphml"
            clock("write", partial(_write, g, parts, coords, path))
            written += path.stat().st_size
    seconds = clock.seconds
    seconds["graph+communities"] = sum(
        seconds[s] for s in ("similarity matrix", "kNN graph", "Louvain")
    )
    return {
        "dims": dims,
        "seconds": seconds,
        "rss_after": clock.rss_after,
        "rss_after_setup": setup_rss,
        "peak_rss": peak_rss(),
        "written_bytes": written,
        "communities": communities,
        "nmi_vs_package_full": nmi,
    }


def _write(graph, parts, coords, path: Path) -> None:
    """The naive run's output for one size: its graph as GraphML, each node with its community
    and map position."""
    import networkx as nx

    for community, members in enumerate(parts):
        for node in members:
            x, y = coords[node]
            graph.nodes[node].update(community=community, x=float(x), y=float(y))
    nx.write_graphml(graph, path)
