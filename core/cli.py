"""Headless pipeline: `python -m core CORPUS` writes the project folder, fidelity, lineage and
multi-layer files and the ladder's picture, and per-size graph files and images when asked."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from core import pictures
from core.analysis import knn
from core.analysis.fidelity import Recommendation, recommend_dimension
from core.analysis.ladder import GraphSettings, check_settings, parse_dims
from core.analysis.lineage import (
    cluster_tree,
    describe,
    lineage_events,
)
from core.analysis.measures import MEASURES
from core.analysis.multilayer import DOCUMENT_NODE_LIMIT, multilayer_graph
from core.analysis.retrieval import METRICS, Recommended, recommend
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
    IMAGE_FORMATS,
    edge_list_csv,
    export_name,
    figure_bytes,
    graph_bytes,
    json_bytes,
    keep_exporter_warm,
    stop_exporter,
    to_networkx,
    tree_bytes,
)
from core.io.queries import (
    LABELS,
    QuerySet,
    beir_corpus,
    default_id_column,
    duplicate_ids,
    is_beir_folder,
    judgements,
    labels_query_set,
    read_query_path,
    read_query_vectors,
)
from core.io.vectors import UploadedVectors, upload_vectors
from core.pipeline import Choice, Pipeline, Progress, default_ordering
from core.project import write_project
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS
from core.runtime.store import ResultStore
from core.viz.lineage_plots import tree_figure
from core.viz.network_plot import network_figure
from core.viz.sweep import SWEEP_FORMATS

# One run on one corpus: nothing to share, and a result evicted from a bounded store would only
# be computed again.
_UNBOUNDED = 2**62
# write(what, extension, bytes, size or None): one output file named by the run's naming scheme
_Write = Callable[[str, str, bytes, int | None], None]

GRAPH_FORMATS = ("graphml", "gexf", "csv", "html")
PROJECT_FOLDER = "project"  # inside --out unless --project names another folder
LADDER_HTML = "html"  # --formats: the ladder as one self-contained page (the WebGL map)
DEFAULT_LADDER_FORMATS = ("png",)  # the one image a run writes unless --formats says otherwise


@dataclass(frozen=True)
class Outputs:
    """What a run writes into `folder`: always the fidelity, lineage, cluster-tree and
    multi-layer files; the project folder unless `project` is None; each size's graph files
    (GRAPH_FORMATS; csv is the edge list, html the network page) and map/network images for
    `dims` (empty: every size); Sankey and tree images in `formats` (IMAGE_FORMATS); the
    ladder's picture (every size's map in one figure) in `ladder` formats, where
    `ladder_optional` says it was not asked for, so a run without a browser only notes it; the
    sweep over the whole ladder in `sweeps` (SWEEP_FORMATS); the ladder as one HTML file (every
    size's map, its slider, play, names and hover) when `ladder_html`."""

    folder: Path
    project: Path | None
    graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    ladder: tuple[str, ...] = ()
    ladder_optional: bool = False
    sweeps: tuple[str, ...] = ()
    ladder_html: bool = False
    dims: tuple[int, ...] = ()
    multilayer_limit: int = DOCUMENT_NODE_LIMIT
    min_recall_share: float = 0.9
    keep_quality: float = 0.95  # share of nDCG@10 the recommended retrieval configuration keeps
    only_retrieval: bool = False  # write the retrieval files alone

    @property
    def needs_maps(self) -> bool:
        """Whether any file written holds the UMAP maps (no file needs them otherwise)."""
        graphs = {"graphml", "gexf", "html"} & set(self.graphs)
        return bool(
            self.project or self.formats or self.ladder or self.sweeps or self.ladder_html or graphs
        )


def _choices(allowed: tuple[str, ...]):
    """An argparse type for a comma-separated subset of `allowed`, or 'none'."""

    def parse(text: str) -> tuple[str, ...]:
        picked = [t.strip().lower() for t in text.split(",") if t.strip()]
        if picked == ["none"]:
            return ()
        for value in picked:
            if value not in allowed:
                raise argparse.ArgumentTypeError(
                    f"unknown choice {value!r}; choose from {', '.join(allowed)} "
                    "(any comma-separated subset) or none"
                )
        return tuple(dict.fromkeys(picked))

    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m core",
        description="Embed a corpus, truncate the embedding along a dimension ladder and write "
        "the project folder (which the app opens), the fidelity table, the cluster lineage and "
        "the multi-layer graph; per-size graph files and images on request.",
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
        "one row per document in corpus order (default: embed with --model)",
    )
    p.add_argument(
        "--vectors-matryoshka",
        action="store_true",
        help="the --vectors were Matryoshka-trained (keep native order under --ordering auto)",
    )
    p.add_argument(
        "--ordering",
        choices=["auto", "native", "pca"],
        default="auto",
        help="dimension order (default: auto, native for Matryoshka models, else PCA)",
    )
    p.add_argument("--ladder", help="sizes to compute, e.g. 256,128,64,32,16,8 (default: halving)")
    p.add_argument(
        "--dims",
        help="sizes that get per-size files (--graphs, and map/network images under --formats); "
        "added to the ladder (default: every size)",
    )
    p.add_argument("--k", type=int, default=10, help="neighbours per document (default: 10)")
    p.add_argument(
        "--graph", choices=["knn", "mutual"], default="knn", help="graph kind (default: knn)"
    )
    p.add_argument(
        "--measure",
        choices=list(MEASURES),
        default="cosine",
        help="similarity measure for the kNN graph, communities, recall and Spearman "
        "(default: cosine; maps always use cosine)",
    )
    p.add_argument("--resolution", type=float, default=1.0, help="Leiden resolution (default: 1)")
    p.add_argument("--text-column", help="text column of a CSV/JSON corpus (default: best guess)")
    p.add_argument(
        "--label-column", help="optional label column, for NMI/ARI and hover (default: none)"
    )
    p.add_argument(
        "--graphs",
        type=_choices(GRAPH_FORMATS),
        default=(),
        metavar="FORMATS",
        help="per-size graph files, any of graphml,gexf,csv,html (csv: the edge list; html: "
        f"the interactive network page); GraphML and GEXF only up to "
        f"{GRAPHML_DOCUMENT_LIMIT:,} documents (default: none)",
    )
    p.add_argument(
        "--formats",
        type=_choices(IMAGE_FORMATS + SWEEP_FORMATS + (LADDER_HTML,)),
        default=None,
        metavar="FORMATS",
        help="image formats for the ladder's picture (every size's map in one figure) and the "
        f"Sankey, tree, map and network figures, any of {','.join(IMAGE_FORMATS)}; the sweep "
        f"(the map moving down the whole ladder) as {' or '.join(SWEEP_FORMATS)}; html: the "
        "ladder as one self-contained page (every size's map, a slider, play, hover); or none "
        "(default: the ladder's picture as PNG, no other image)",
    )
    p.add_argument(
        "--min-recall-share",
        type=float,
        default=0.9,
        help="share of the full size's recall the recommended size keeps (default: 0.9)",
    )
    p.add_argument(
        "--id-column",
        help="the corpus's document id column, which query answers name (default: a column "
        "named 'id' when there is one, else the row's place in its file)",
    )
    p.add_argument(
        "--queries",
        metavar="FILE",
        help="a query set with known answers: a CSV/TSV/JSONL table (columns query and "
        "relevant: document ids separated by ';', each optionally ID:GRADE) or a BEIR folder; "
        f"'{LABELS}' makes sampled documents the queries and their label's documents the answers; "
        "writes the retrieval table per size × precision",
    )
    p.add_argument(
        "--query-vectors",
        metavar="FILE",
        help="the queries' vectors (one row per query, in the query file's order; for a BEIR "
        "folder, queries.jsonl's, leaving out queries without a judged answer), needed with "
        "--vectors: uploaded vectors have no model to embed the queries with",
    )
    p.add_argument(
        "--only",
        choices=["retrieval"],
        help="'retrieval': embed and write only the retrieval table (no graphs, maps or project)",
    )
    p.add_argument(
        "--keep-quality",
        type=float,
        default=0.95,
        help="share of the full size's nDCG@10 the recommended configuration keeps (default: 0.95)",
    )
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
    project = p.add_mutually_exclusive_group()
    project.add_argument(
        "--project",
        metavar="PATH",
        help="where to write the project folder (Parquet tables + manifest.json) that the app "
        f"opens with nothing recomputed (default: OUT/{PROJECT_FOLDER})",
    )
    project.add_argument(
        "--no-project", action="store_true", help="do not write the project folder"
    )
    return p


def _project_folder(args: argparse.Namespace) -> Path | None:
    return None if args.no_project else Path(args.project or Path(args.out) / PROJECT_FOLDER)


def _outputs(args: argparse.Namespace, drawn: tuple[int, ...]) -> Outputs:
    images = tuple(f for f in args.formats or () if f in IMAGE_FORMATS)
    return Outputs(
        folder=Path(args.out),
        project=_project_folder(args),
        graphs=args.graphs,
        formats=images,
        ladder=DEFAULT_LADDER_FORMATS if args.formats is None else images,
        ladder_optional=args.formats is None,
        sweeps=tuple(f for f in args.formats or () if f in SWEEP_FORMATS),
        ladder_html=LADDER_HTML in (args.formats or ()),
        dims=drawn,
        multilayer_limit=args.multilayer_limit,
        min_recall_share=args.min_recall_share,
        keep_quality=args.keep_quality,
        only_retrieval=args.only == "retrieval",
    )


def _load(args: argparse.Namespace) -> Corpus:
    if args.corpus == "demo":
        return load_demo_corpus()
    path = Path(args.corpus)
    if not path.exists():
        raise ExplorerError(f"{path} does not exist.")
    if is_beir_folder(path):
        return beir_corpus(path)
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
    id_column = args.id_column or default_id_column(table)
    if args.id_column and args.id_column not in table.columns:
        raise ExplorerError(f"No column named {args.id_column!r} in {path}.")
    if id_column and args.queries:
        duplicate_ids(table, id_column, path.name)
    return build_corpus(
        table, text_column, label_column, id_column=id_column, name=path.stem or "corpus"
    )


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


def _query_set(args: argparse.Namespace, corpus: Corpus) -> QuerySet | None:
    """The --queries set (a file, a BEIR folder or the labels), its answers checked against the
    corpus's ids before any work; with --only retrieval one is needed."""
    if not args.queries:
        if args.only == "retrieval":
            raise ExplorerError(
                f"--only retrieval needs --queries FILE (or --queries {LABELS} for a corpus with "
                "labels)."
            )
        if args.query_vectors:
            raise ExplorerError("--query-vectors needs --queries FILE.")
        return None
    if args.queries == LABELS:
        return labels_query_set(corpus)
    query_set = read_query_path(Path(args.queries), corpus.ids)
    judgements(query_set, corpus)  # unknown ids are refused here, before embedding
    return query_set


def run(args: argparse.Namespace) -> list[Path]:
    """The whole pipeline; returns the files written."""
    settings = check_settings(
        GraphSettings(k=args.k, kind=args.graph, resolution=args.resolution, measure=args.measure)
    )
    if not 0 < args.keep_quality <= 1:
        raise ExplorerError(f"--keep-quality must be in (0, 1], got {args.keep_quality}.")
    ladder = parse_dims(args.ladder) if args.ladder else ()
    wanted = parse_dims(args.dims) if args.dims else ()
    corpus = _load(args)
    query_set = _query_set(args, corpus)
    only_retrieval = args.only == "retrieval"
    if not args.ray and not only_retrieval and len(corpus) > knn.EXACT_KNN_LIMIT:
        # NN-descent's kernels compile anew in every process: on their own thread, while the
        # model loads and embeds (a second run, embeddings cached, waits for them as before)
        threading.Thread(target=knn.warm_up, args=(settings.measure,), daemon=True).start()
    choice, uploaded = _choice(args, corpus)
    pipe = Pipeline(
        choice,
        settings=settings,
        ladder=(*ladder, *wanted),
        store=ResultStore(_UNBOUNDED),
        uploaded=uploaded,
        query_set=query_set,
    )
    if args.query_vectors:
        path = Path(args.query_vectors)
        if not path.is_file():
            raise ExplorerError(f"{path} does not exist.")
        raw = read_query_vectors(path.name, path.read_bytes(), query_set, pipe.raw().shape[1])
        pipe.adopt_query_vectors(query_set, raw)
    if only_retrieval:
        pipe.ordered()
        written, _ = write_outputs(pipe, _outputs(args, ()))
        return written
    with tqdm(total=4, desc="pipeline", unit="step", file=sys.stderr) as bar:

        def report(share: float, text: str) -> None:
            bar.set_postfix_str(text)

        report(0, f"embedding {len(corpus)} docs with {choice.spec.key}")
        if args.ray:
            from core.schedule.distributed import ray_precompute, start_ray

            start_ray(args.ray)
            ray_precompute(pipe, report)
        pipe.ordered(report)
        chosen = {min(d, pipe.full) for d in wanted}  # a size above the full size is the full size
        outputs = _outputs(args, tuple(d for d in pipe.dims if d in chosen))
        bar.update()
        pipe.views(report)
        bar.update()
        if outputs.needs_maps:
            pipe.layouts(report)
        bar.update()
        written, recommendation = write_outputs(pipe, outputs, report)
        bar.update()
    print(recommendation.sentence)
    return written


def _write_retrieval(pipe: Pipeline, keep: float, write: _Write) -> Recommended:
    """The retrieval table per size × precision (CSV, and JSON with the recommendation)."""
    table = pipe.retrieval(pipe.query_set)
    pick = recommend(table, keep=keep, n_docs=len(pipe.corpus))
    write("retrieval", "csv", table.to_csv(index=False).encode(), None)
    record = {
        "queries": pipe.query_set.name,
        "labels_as_answers": bool(pipe.query_set.from_labels),
        "metrics": list(METRICS),
        "measure": pipe.measure,
        "recommendation": pick.sentence,
        "recommended": {"dim": pick.dim, "precision": pick.precision, "keep": keep},
        "table": table.to_dict("records"),
    }
    write("retrieval", "json", json_bytes(record), None)
    print(pick.sentence)
    return pick


def write_outputs(
    pipe: Pipeline, outputs: Outputs, progress: Progress | None = None
) -> tuple[list[Path], Recommendation | Recommended]:
    """Write `outputs` for the pipeline (computing whatever is still missing); returns the files
    written and the recommended size (with outputs.only_retrieval, the retrieval files alone and
    the recommended retrieval configuration)."""
    corpus, choice = pipe.corpus, pipe.choice
    say = progress or (lambda share, text: None)
    out = outputs.folder
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stem = (corpus.name, choice.spec.key, choice.ordering)

    def write(what: str, ext: str, data: bytes, dim: int | None = None) -> None:
        path = out / export_name(*stem, *([f"{dim}d"] if dim else []), what, ext=ext)
        path.write_bytes(data)
        written.append(path)

    if pipe.query_set is not None:
        say(0, "retrieval")
        pick = _write_retrieval(pipe, outputs.keep_quality, write)
        if outputs.only_retrieval:
            return written, pick
    say(0, "fidelity")
    table = pipe.fidelity()
    recommendation = recommend_dimension(table, min_recall_share=outputs.min_recall_share)
    write("fidelity", "csv", table.to_csv(index=False).encode())
    fidelity = {"table": table.to_dict("records"), "recommendation": recommendation.sentence}
    write("fidelity", "json", json_bytes(fidelity))

    say(0, "lineage")
    dims, labels, names = pipe.lineage()
    events = lineage_events(dims, labels, names)
    record = {
        "dims": dims,
        "steps": pipe.lineage_summary().to_dict("records"),
        "events": [{**event.__dict__, "text": describe(event)} for event in events],
        "communities": {str(d): labels[d].tolist() for d in dims},
        "names": {str(d): {str(c): n for c, n in names[d].items()} for d in dims},
    }
    write("lineage", "json", json_bytes(record))
    tree = cluster_tree(dims, labels, names)
    write("tree", "graphml", tree_bytes(tree, "graphml"))
    write("tree", "json", tree_bytes(tree, "json"))
    say(0, "multi-layer graph")
    multilayer = multilayer_graph(
        dims,
        {d: view.graph for d, view in pipe.views().items()},
        labels,
        names,
        corpus.ids,
        document_limit=outputs.multilayer_limit,
    )
    write("multilayer", "graphml", graph_bytes(multilayer, "graphml"))
    write("multilayer", "json", graph_bytes(multilayer, "json"))
    if outputs.project:
        say(0, "project folder")
        written += write_project(pipe, outputs.project)

    drawn = outputs.dims or tuple(pipe.dims)
    if outputs.graphs:
        say(0, "graph files")
        _write_graphs(pipe, outputs.graphs, drawn, write)
    if outputs.formats or outputs.ladder:
        say(0, "images")
        keep_exporter_warm()
        try:
            _write_ladder(pipe, outputs, write)
            if outputs.formats:
                _write_images(pipe, outputs.formats, drawn, tree, write)
        finally:
            stop_exporter()
    if outputs.sweeps:
        say(0, "sweep")
        _write_sweeps(pipe, outputs.sweeps, write)
    if outputs.ladder_html:
        say(0, "ladder page")
        write("ladder", "html", pictures.ladder_html(pipe).encode("utf-8"), None)
    return written, recommendation


def _write_ladder(pipe: Pipeline, outputs: Outputs, write: _Write) -> None:
    """The ladder's picture in each of outputs.ladder's formats; without a browser, a note
    when it was not asked for (a default run still writes everything else)."""
    fig = pictures.ladder_figure(pipe)
    try:
        for fmt in outputs.ladder:
            write("ladder", fmt, figure_bytes(fig, fmt))  # at the size its layout sets
    except ExplorerError as error:
        if not outputs.ladder_optional:
            raise
        print(f"note: the ladder's picture was not written. {error}", file=sys.stderr)


def _write_graphs(
    pipe: Pipeline, graphs: tuple[str, ...], drawn: tuple[int, ...], write: _Write
) -> None:
    """Each drawn size's graph files; GraphML and GEXF only up to GRAPHML_DOCUMENT_LIMIT."""
    corpus = pipe.corpus
    networkx_formats = [f for f in ("graphml", "gexf") if f in graphs]
    if networkx_formats and len(corpus) > GRAPHML_DOCUMENT_LIMIT:  # networkx: ~1 KB per edge
        print(
            f"note: per-size GraphML and GEXF files are skipped above {GRAPHML_DOCUMENT_LIMIT:,} "
            f"documents (this corpus has {len(corpus):,}); --graphs csv writes each size's "
            "edge list.",
            file=sys.stderr,
        )
        networkx_formats = []
    for dim in drawn:
        view = pipe.view(dim)
        if "csv" in graphs:
            write("edges", "csv", edge_list_csv(view.graph, corpus.ids).encode(), dim)
        if networkx_formats:
            graph = to_networkx(
                view.graph,
                view.communities,
                corpus.ids,
                corpus.texts,
                pipe.layout(dim),
                corpus.labels,
            )
            for fmt in networkx_formats:
                write("graph", fmt, graph_bytes(graph, fmt), dim)
        if "html" in graphs:
            write("network", "html", pictures.network_html(pipe, dim).encode(), dim)


def _write_images(
    pipe: Pipeline, formats: tuple[str, ...], drawn: tuple[int, ...], tree, write: _Write
) -> None:
    """The Sankey and tree images, then each drawn size's map and network images; each figure
    is built just before it is rendered."""

    def figures():
        yield "sankey", None, pictures.sankey(pipe)
        yield "tree", None, tree_figure(tree, title="Cluster tree")
        hover = pictures.hovers(pipe)
        for dim in drawn:
            view, coords, names = pipe.view(dim), pipe.layout(dim), pipe.names(dim)
            title = pictures.map_title(pipe, dim, is_umap=True)
            yield "map", dim, pictures.map_export(pipe, dim)
            yield (
                "network",
                dim,
                network_figure(coords, view.graph, view.communities, names, hover, title=title),
            )

    total = 2 + 2 * len(drawn)
    for what, dim, fig in tqdm(figures(), total=total, desc="images", file=sys.stderr):
        for fmt in formats:
            write(what, fmt, figure_bytes(fig, fmt), dim)


def _write_sweeps(pipe: Pipeline, formats: tuple[str, ...], write: _Write) -> None:
    """The sweep over the whole ladder in each of `formats` (SWEEP_FORMATS), with a bar."""
    for fmt in formats:
        with tqdm(total=100, desc=f"sweep {fmt}", unit="%", file=sys.stderr) as bar:

            def report(share: float, text: str, bar=bar) -> None:
                bar.update(round(100 * share) - bar.n)

            write("sweep", fmt, pictures.sweep(pipe, fmt, report), None)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        written = run(args)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    project = _project_folder(args)
    outside = project is not None and not project.resolve().is_relative_to(out)
    print(f"wrote {len(written)} files to {out}" + (f" and {project.resolve()}" if outside else ""))
    return 0
