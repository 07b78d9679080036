"""What Colour by and Find on the map cost per slider step and per change, on a real corpus of
docstring passages labelled by package (bench/docstring_corpus.py): reading the corpus's other
columns, the search over every text and id, kNN purity and AMI for one size, and the live map's
spec and JSON coloured by community, by label, by a number, and with a highlight. Neighbours and
communities are drawn at random with the app's shapes (n × k int32, ~30 communities): what
these steps cost depends on those shapes, not on the values.

    python bench/bench_colour.py --corpus PATH_TO_docstrings-100000.csv [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

import numpy as np  # noqa: E402
from timing import median_seconds  # noqa: E402

from core.analysis.colour_by import Column, grouping, knn_purity, size_separation  # noqa: E402
from core.analysis.graph import Graph  # noqa: E402
from core.analysis.knn import Neighbours  # noqa: E402
from core.analysis.ladder import DimensionView  # noqa: E402
from core.analysis.text_match import matching_rows  # noqa: E402
from core.io.columns import table_columns  # noqa: E402
from core.io.corpus import build_corpus, read_path  # noqa: E402
from core.runtime.machine import description  # noqa: E402
from core.viz.map_plot import LIVE_WEBGL_THRESHOLD, map_spec  # noqa: E402
from core.viz.map_scene import MapScene  # noqa: E402
from core.viz.plotly_json import spec_json  # noqa: E402

QUERIES = ("function", "sparse matrix", "tensor", "d4242", "<b>zzz</b>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(description())
    start = time.perf_counter()
    table = read_path(args.corpus)
    read = time.perf_counter() - start
    start = time.perf_counter()
    corpus = build_corpus(table, "text", "label", id_column="id")
    built = time.perf_counter() - start
    n = len(corpus)
    start = time.perf_counter()
    table_columns(table, range(n), skip=("text", "id"))
    columns = time.perf_counter() - start
    print(
        f"{n:,} documents: read {read:.2f} s, build_corpus {built:.2f} s, of which reading the "
        f"other columns {columns:.2f} s"
    )
    print("columns:", [(c.name, len(c.categories) or "numeric") for c in corpus.columns])

    for query in QUERIES:
        found = matching_rows(corpus.texts, corpus.ids, query)
        took = median_seconds(
            lambda q=query: matching_rows(corpus.texts, corpus.ids, q), args.repeats
        )
        print(f"find {query!r}: {int(found.sum()):,} documents, {took * 1000:.0f} ms")

    rng = np.random.default_rng(0)
    label = next(c for c in corpus.columns if c.name == "label")
    indices = rng.integers(0, n, (n, 10)).astype(np.int32)
    communities = rng.integers(0, 30, n).astype(np.int32)
    view = DimensionView(
        dim=64,
        neighbours=Neighbours(indices, np.ones(indices.shape, np.float32)),
        graph=Graph(n, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)),
        communities=communities,
        keywords={},
        recall=np.ones(n),
    )
    took = median_seconds(lambda: knn_purity(indices, label.codes), args.repeats)
    print(f"kNN purity, one size: {took * 1000:.0f} ms")
    took = median_seconds(lambda: size_separation(view, label), args.repeats)
    print(f"purity + AMI, one size: {took * 1000:.0f} ms ({len(label.categories)} labels)")

    coords = rng.normal(size=(n, 2)).astype(np.float32)
    names = {c: f"{c} · words" for c in range(30)}
    number = Column("length", values=np.array([len(t) for t in corpus.texts], np.float32))
    found = matching_rows(corpus.texts, corpus.ids, "sparse matrix")
    cases = {
        "community": (grouping(None, communities, names), None),
        "label": (grouping(label, communities, names), None),
        "number": (grouping(number, communities, names), None),
        "label + find": (grouping(label, communities, names), found),
    }
    for case, (group, highlight) in cases.items():

        def live(group=group, highlight=highlight):
            scene = MapScene(coords, group, highlight=highlight)
            spec = map_spec(scene, [""] * n, webgl_above=LIVE_WEBGL_THRESHOLD, text_by_row=True)
            return spec_json(spec)

        size = len(live())
        took = median_seconds(live, args.repeats)
        print(f"live map by {case}: {took * 1000:.0f} ms, {size / 1e6:.2f} MB of JSON")


if __name__ == "__main__":
    main()
