"""The files a headless run (core.cli) writes: the fidelity, lineage, cluster-tree and
multi-layer files, the project folder, and per-size graph files, images and sweeps when asked."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from core import pictures
from core.analysis.fidelity import Recommendation, recommend_dimension
from core.analysis.lineage import cluster_tree
from core.analysis.multilayer import DOCUMENT_NODE_LIMIT, multilayer_graph
from core.analysis.retrieval import Recommended, recommend
from core.io.export import (
    GRAPHML_DOCUMENT_LIMIT,
    edge_list_csv,
    export_name,
    fidelity_json,
    figure_bytes,
    graph_bytes,
    keep_exporter_warm,
    lineage_json,
    retrieval_json,
    stop_exporter,
    to_networkx,
    tree_bytes,
)
from core.pipeline import Pipeline
from core.project import write_project
from core.runtime.errors import ExplorerError
from core.runtime.progress import Progress, silent
from core.viz.lineage_plots import tree_figure
from core.viz.network_plot import network_figure

# write(what, extension, bytes, size or None): one output file named by the run's naming scheme
_Write = Callable[[str, str, bytes, int | None], None]

GRAPH_FORMATS = ("graphml", "gexf", "csv", "html")


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


def _write_retrieval(pipe: Pipeline, keep: float, write: _Write) -> Recommended:
    """The retrieval table per size × precision (CSV, and JSON with the recommendation)."""
    table = pipe.retrieval(pipe.query_set)
    pick = recommend(table, keep=keep, n_docs=len(pipe.corpus))
    write("retrieval", "csv", table.to_csv(index=False).encode(), None)
    record = retrieval_json(table, pick, pipe.query_set, pipe.measure, keep)
    write("retrieval", "json", record, None)
    print(pick.sentence)
    return pick


def write_outputs(
    pipe: Pipeline, outputs: Outputs, progress: Progress | None = None
) -> tuple[list[Path], Recommendation | Recommended]:
    """Write `outputs` for the pipeline (computing whatever is still missing); returns the files
    written and the recommended size (with outputs.only_retrieval, the retrieval files alone and
    the recommended retrieval configuration)."""
    corpus, choice = pipe.corpus, pipe.choice
    say = progress or silent
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
    write("fidelity", "json", fidelity_json(table, recommendation.sentence))

    say(0, "lineage")
    dims, labels, names = pipe.lineage()
    write("lineage", "json", lineage_json(dims, labels, names, pipe.lineage_summary()))
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
