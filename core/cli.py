"""Headless pipeline: `python -m core CORPUS` writes maps, networks, lineage and fidelity files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from core.analysis.fidelity import fidelity_table, recommend_dimension
from core.analysis.keywords import TermCounts, community_names
from core.analysis.ladder import GraphSettings, compute_views, parse_dims
from core.analysis.lineage import (
    cluster_tree,
    describe,
    lineage_events,
    lineage_inputs,
    sankey_data,
    step_summary,
    tree_bytes,
)
from core.embed.models import PRESETS, WORDLLAMA, embed, resolve_model
from core.embed.ordering import order_dimensions
from core.errors import ExplorerError
from core.io.corpus import (
    Corpus,
    build_corpus,
    label_columns,
    load_demo_corpus,
    read_path,
    text_columns,
)
from core.io.export import (
    export_name,
    figure_bytes,
    graph_bytes,
    keep_exporter_warm,
    stop_exporter,
    to_networkx,
)
from core.io.vectors import check_alignment, read_vectors, vectors_spec
from core.pipeline import default_ordering, ladder_for
from core.viz.figures import hover_texts, map_figure, network_figure
from core.viz.layout import ladder_layouts
from core.viz.lineage_plots import sankey_figure, tree_figure
from core.viz.network import build_network_html


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m core",
        description="Embed a corpus, truncate the embedding along a dimension ladder and write "
        "maps, networks, cluster lineage and fidelity tables.",
    )
    p.add_argument(
        "corpus", help="a file or folder of documents, or 'demo' for the built-in corpus"
    )
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument(
        "--model",
        default=WORDLLAMA.key,
        help=f"preset ({', '.join(PRESETS)}), hub id or local path (default: {WORDLLAMA.key})",
    )
    p.add_argument(
        "--vectors",
        help="use embeddings computed elsewhere instead of a model: .npy/.csv/.tsv/.parquet, "
        "one row per document in corpus order",
    )
    p.add_argument(
        "--vectors-matryoshka",
        action="store_true",
        help="the --vectors were Matryoshka-trained (keep native order under --ordering auto)",
    )
    p.add_argument("--ordering", choices=["auto", "native", "pca"], default="auto")
    p.add_argument("--ladder", help="sizes to compute, e.g. 256,128,64,32,16,8 (default: halving)")
    p.add_argument("--dims", help="sizes to draw and export graphs for (default: every size)")
    p.add_argument("--k", type=int, default=10, help="neighbours per document (default: 10)")
    p.add_argument("--graph", choices=["knn", "mutual"], default="knn")
    p.add_argument("--resolution", type=float, default=1.0, help="Leiden resolution (default: 1)")
    p.add_argument("--text-column", help="text column of a CSV/JSON corpus (default: best guess)")
    p.add_argument("--label-column", help="optional label column, for NMI/ARI and hover")
    p.add_argument("--formats", default="png,svg", help="image formats: png,svg,pdf (or 'none')")
    p.add_argument("--min-recall-share", type=float, default=0.9)
    return p


def _load(args: argparse.Namespace) -> Corpus:
    if args.corpus == "demo":
        return load_demo_corpus()
    path = Path(args.corpus)
    if not path.exists():
        raise ExplorerError(f"{path} does not exist.")
    table = read_path(path)
    texts = text_columns(table)
    text_column = args.text_column or (texts[0] if texts else None)
    if text_column is None:
        raise ExplorerError(f"No text column found in {path}.")
    label_column = args.label_column
    if label_column and label_column not in label_columns(table) and label_column not in table:
        raise ExplorerError(f"No column named {label_column!r} in {path}.")
    return build_corpus(table, text_column, label_column, name=path.stem or "corpus")


def run(args: argparse.Namespace) -> list[Path]:
    """The whole pipeline; returns the files written."""
    corpus = _load(args)
    if args.vectors:
        path = Path(args.vectors)
        if not path.is_file():
            raise ExplorerError(f"{path} does not exist.")
        uploaded = check_alignment(read_vectors(path.name, path.read_bytes()), len(corpus))
        spec = vectors_spec(path.name, uploaded, matryoshka=args.vectors_matryoshka)
    else:
        spec = resolve_model(args.model)
    ordering = default_ordering(spec) if args.ordering == "auto" else args.ordering
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    formats = [] if args.formats == "none" else [f.strip() for f in args.formats.split(",") if f]
    written: list[Path] = []

    def write(name: str, data: bytes) -> None:
        path = out / name
        path.write_bytes(data)
        written.append(path)

    with tqdm(total=6, desc="pipeline", unit="step", file=sys.stderr) as bar:
        bar.set_postfix_str(f"embedding {len(corpus)} docs with {spec.key}")
        raw = uploaded if args.vectors else embed(corpus.texts, spec)
        vectors = order_dimensions(raw, ordering).vectors
        full = vectors.shape[1]
        ladder = parse_dims(args.ladder, full) if args.ladder else ladder_for(spec, full)
        drawn = parse_dims(args.dims, full) if args.dims else ladder
        ladder = sorted(set(ladder) | set(drawn), reverse=True)
        bar.update()
        bar.set_postfix_str("graphs and communities")
        settings = GraphSettings(k=args.k, kind=args.graph, resolution=args.resolution)
        views = compute_views(vectors, ladder, TermCounts(corpus.texts), settings)
        bar.update()
        bar.set_postfix_str("UMAP maps")
        layouts = ladder_layouts(
            vectors,
            ladder,
            progress=lambda step, total, dim: bar.set_postfix_str(
                f"UMAP maps {step}/{total} ({dim} dims)"
            ),
        )
        bar.update()

        bar.set_postfix_str("fidelity")
        table = fidelity_table(
            vectors,
            ladder,
            k=args.k,
            communities={d: v.communities for d, v in views.items()},
            neighbours={d: v.neighbours for d, v in views.items()},
        )
        recommendation = recommend_dimension(table, min_recall_share=args.min_recall_share)
        stem = (corpus.name, spec.key, ordering)
        write(export_name(*stem, "fidelity", ext="csv"), table.to_csv(index=False).encode())
        fidelity = {"table": table.to_dict("records"), "recommendation": recommendation.sentence}
        write(export_name(*stem, "fidelity", ext="json"), json.dumps(fidelity, indent=1).encode())
        bar.update()

        bar.set_postfix_str("lineage")
        dims, labels, names = lineage_inputs(views)
        events = lineage_events(dims, labels, names)
        lineage = {
            "dims": dims,
            "steps": step_summary(dims, labels).to_dict("records"),
            "events": [{**event.__dict__, "text": describe(event)} for event in events],
            "communities": {str(d): labels[d].tolist() for d in dims},
            "names": {str(d): {str(c): n for c, n in names[d].items()} for d in dims},
        }
        write(export_name(*stem, "lineage", ext="json"), json.dumps(lineage, indent=1).encode())
        tree = cluster_tree(dims, labels, names)
        write(export_name(*stem, "tree", ext="graphml"), tree_bytes(tree, "graphml"))
        write(export_name(*stem, "tree", ext="json"), tree_bytes(tree, "json"))
        if formats:
            keep_exporter_warm()
        figures = {
            "sankey": sankey_figure(sankey_data(dims, labels, names), title="Communities"),
            "tree": tree_figure(tree, title="Cluster tree"),
        }
        bar.update()

        bar.set_postfix_str("maps, networks and graphs")
        hover = hover_texts(corpus.texts, corpus.ids, corpus.labels)
        for dim in drawn:
            view, coords = views[dim], layouts[dim]
            title = f"{corpus.name} · {spec.key} · {dim} of {full} dims ({ordering} order)"
            dim_names = community_names(view.keywords)
            figures[f"map_{dim}d"] = map_figure(
                coords, view.communities, dim_names, hover, title=title
            )
            figures[f"network_{dim}d"] = network_figure(
                coords, view.graph, view.communities, dim_names, hover, title=title
            )
            graph = to_networkx(
                view.graph, view.communities, corpus.ids, corpus.texts, coords, corpus.labels
            )
            write(export_name(*stem, f"graph_{dim}d", ext="graphml"), graph_bytes(graph, "graphml"))
            write(export_name(*stem, f"edges_{dim}d", ext="csv"), graph_bytes(graph, "csv"))
            html_page = build_network_html(
                coords, view.graph, view.communities, dim_names, corpus.texts, corpus.ids
            )
            write(export_name(*stem, f"network_{dim}d", ext="html"), html_page.encode())
        for name, fig in tqdm(figures.items(), desc="images", file=sys.stderr, disable=not formats):
            for fmt in formats:
                write(export_name(*stem, name, ext=fmt), figure_bytes(fig, fmt))
        if formats:
            stop_exporter()
        bar.update()
    print(recommendation.sentence)
    return written


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        written = run(args)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {Path(args.out).resolve()}")
    return 0
