"""Headless pipeline: `python -m core CORPUS` writes maps, networks, lineage and fidelity files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from core import pictures
from core.analysis.fidelity import recommend_dimension
from core.analysis.ladder import GraphSettings, check_settings, fit_ladder, parse_dims
from core.analysis.lineage import (
    cluster_tree,
    describe,
    lineage_events,
)
from core.analysis.measures import MEASURES
from core.analysis.multilayer import DOCUMENT_NODE_LIMIT, multilayer_graph
from core.embed.models import PRESETS, WORDLLAMA, resolve_model
from core.io.corpus import (
    Corpus,
    build_corpus,
    label_columns,
    load_demo_corpus,
    long_documents,
    read_path,
    text_columns,
)
from core.io.export import (
    GRAPHML_DOCUMENT_LIMIT,
    edge_list_csv,
    export_name,
    figure_bytes,
    graph_bytes,
    keep_exporter_warm,
    stop_exporter,
    to_networkx,
    tree_bytes,
)
from core.io.vectors import UploadedVectors, upload_vectors
from core.pipeline import Choice, Pipeline, default_ordering
from core.project import write_project
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS
from core.runtime.store import ResultStore
from core.viz.figures import map_figure, network_figure
from core.viz.lineage_plots import tree_figure

# One run on one corpus: nothing to share, and a result evicted from a bounded store would only
# be computed again.
_UNBOUNDED = 2**62


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
    p.add_argument(
        "--measure",
        choices=list(MEASURES),
        default="cosine",
        help="similarity measure for the kNN graph, communities, recall and Spearman "
        "(default: cosine; maps always use cosine)",
    )
    p.add_argument("--resolution", type=float, default=1.0, help="Leiden resolution (default: 1)")
    p.add_argument("--text-column", help="text column of a CSV/JSON corpus (default: best guess)")
    p.add_argument("--label-column", help="optional label column, for NMI/ARI and hover")
    p.add_argument("--formats", default="png,svg", help="image formats: png,svg,pdf (or 'none')")
    p.add_argument("--min-recall-share", type=float, default=0.9)
    p.add_argument(
        "--multilayer-limit",
        type=int,
        default=DOCUMENT_NODE_LIMIT,
        help="document nodes (documents × sizes) up to which the multi-layer graph keeps the "
        f"documents; above it, communities only (default: {DOCUMENT_NODE_LIMIT:,})",
    )
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the heavy precompute on a Ray cluster (e.g. ray://head:10001 or auto), or "
        "'local' to start Ray on this machine's cores; without it Ray is never imported",
    )
    p.add_argument(
        "--project",
        help="also write a project folder here (Parquet tables + manifest.json) that the app "
        "opens with nothing recomputed",
    )
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
    cut = long_documents(table, text_column)
    if cut:
        print(
            f"note: {cut:,} documents are longer than {DEFAULT_LIMITS.max_doc_chars:,} characters; "
            "only their start is embedded.",
            file=sys.stderr,
        )
    return build_corpus(table, text_column, label_column, name=path.stem or "corpus")


def _choice(args: argparse.Namespace, corpus: Corpus) -> tuple[Choice, UploadedVectors | None]:
    uploaded = None
    if args.vectors:
        path = Path(args.vectors)
        if not path.is_file():
            raise ExplorerError(f"{path} does not exist.")
        uploaded = upload_vectors(
            path.name, path.read_bytes(), corpus, matryoshka=args.vectors_matryoshka
        )
        if uploaded.note:
            print(uploaded.note, file=sys.stderr)
        spec = uploaded.spec
    else:
        spec = resolve_model(args.model)
    ordering = default_ordering(spec) if args.ordering == "auto" else args.ordering
    return Choice(corpus, spec, ordering), uploaded


def run(args: argparse.Namespace) -> list[Path]:
    """The whole pipeline; returns the files written."""
    settings = check_settings(
        GraphSettings(k=args.k, kind=args.graph, resolution=args.resolution, measure=args.measure)
    )
    ladder = parse_dims(args.ladder) if args.ladder else ()
    wanted = parse_dims(args.dims) if args.dims else ()
    corpus = _load(args)
    choice, uploaded = _choice(args, corpus)
    pipe = Pipeline(
        choice,
        settings=settings,
        ladder=(*ladder, *wanted),
        store=ResultStore(_UNBOUNDED),
        uploaded=uploaded,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    formats = [] if args.formats == "none" else [f.strip() for f in args.formats.split(",") if f]
    written: list[Path] = []
    stem = (corpus.name, choice.spec.key, choice.ordering)

    def write(what: str, ext: str, data: bytes, dim: int | None = None) -> None:
        path = out / export_name(*stem, *([f"{dim}d"] if dim else []), what, ext=ext)
        path.write_bytes(data)
        written.append(path)

    with tqdm(total=6, desc="pipeline", unit="step", file=sys.stderr) as bar:

        def report(share: float, text: str) -> None:
            bar.set_postfix_str(text)

        report(0, f"embedding {len(corpus)} docs with {choice.spec.key}")
        if args.ray:
            from core.schedule.distributed import ray_precompute, start_ray

            start_ray(args.ray)
            ray_precompute(pipe, report)
        pipe.ordered(report)
        dims = pipe.dims
        drawn = fit_ladder(wanted, pipe.full) if wanted else dims
        bar.update()
        pipe.views(report)
        bar.update()
        layouts = pipe.layouts(report)
        bar.update()

        report(0, "fidelity")
        table = pipe.fidelity()
        recommendation = recommend_dimension(table, min_recall_share=args.min_recall_share)
        write("fidelity", "csv", table.to_csv(index=False).encode())
        fidelity = {"table": table.to_dict("records"), "recommendation": recommendation.sentence}
        write("fidelity", "json", json.dumps(fidelity, indent=1).encode())
        bar.update()

        report(0, "lineage")
        dims_, labels, names = pipe.lineage()
        events = lineage_events(dims_, labels, names)
        record = {
            "dims": dims_,
            "steps": pipe.lineage_summary().to_dict("records"),
            "events": [{**event.__dict__, "text": describe(event)} for event in events],
            "communities": {str(d): labels[d].tolist() for d in dims_},
            "names": {str(d): {str(c): n for c, n in names[d].items()} for d in dims_},
        }
        write("lineage", "json", json.dumps(record, indent=1).encode())
        tree = cluster_tree(dims_, labels, names)
        write("tree", "graphml", tree_bytes(tree, "graphml"))
        write("tree", "json", tree_bytes(tree, "json"))
        multilayer = multilayer_graph(
            dims_,
            {d: view.graph for d, view in pipe.views().items()},
            labels,
            names,
            corpus.ids,
            document_limit=args.multilayer_limit,
        )
        write("multilayer", "graphml", graph_bytes(multilayer, "graphml"))
        write("multilayer", "json", graph_bytes(multilayer, "json"))
        if formats:
            keep_exporter_warm()
        figures: list[tuple[str, int | None, object]] = [
            ("sankey", None, pictures.sankey(pipe)),
            ("tree", None, tree_figure(tree, title="Cluster tree")),
        ]
        bar.update()

        report(0, "maps, networks and graphs")
        hover = pictures.hovers(pipe)
        views = pipe.views()
        for dim in drawn:
            view, coords, dim_names = views[dim], layouts[dim], pipe.names(dim)
            title = (
                f"{corpus.name} · {choice.spec.key} · {dim} of {pipe.full} dims "
                f"({choice.ordering} order)"
            )
            figures.append(
                ("map", dim, map_figure(coords, view.communities, dim_names, hover, title=title))
            )
            figures.append(
                (
                    "network",
                    dim,
                    network_figure(
                        coords, view.graph, view.communities, dim_names, hover, title=title
                    ),
                )
            )
            write("edges", "csv", edge_list_csv(view.graph, corpus.ids).encode(), dim)
            if len(corpus) <= GRAPHML_DOCUMENT_LIMIT:  # networkx holds each edge as dicts
                graph = to_networkx(
                    view.graph, view.communities, corpus.ids, corpus.texts, coords, corpus.labels
                )
                write("graph", "graphml", graph_bytes(graph, "graphml"), dim)
            write("network", "html", pictures.network_html(pipe, dim).encode(), dim)
        for what, dim, fig in tqdm(figures, desc="images", file=sys.stderr, disable=not formats):
            for fmt in formats:
                write(what, fmt, figure_bytes(fig, fmt), dim)
        if formats:
            stop_exporter()
        bar.update()
    if args.project:
        written += write_project(pipe, Path(args.project))
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
