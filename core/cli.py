"""Headless pipeline: `python -m core CORPUS` writes the project folder, fidelity, lineage and
multi-layer files and the ladder's picture, and per-size graph files and images when asked."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from core.analysis import knn
from core.analysis.ladder import GraphSettings, check_settings, parse_dims
from core.analysis.measures import MEASURES
from core.analysis.multilayer import DOCUMENT_NODE_LIMIT
from core.embed.models import PRESETS, WORDLLAMA, resolve_model
from core.io.corpus import Corpus, load_demo_corpus
from core.io.export import (
    GRAPHML_DOCUMENT_LIMIT,
    IMAGE_FORMATS,
)
from core.io.intake import load_corpus
from core.io.queries import (
    LABELS,
    QuerySet,
    judgements,
    labels_query_set,
    read_query_path,
    read_query_vectors,
)
from core.io.vectors import UploadedVectors, upload_vectors
from core.outputs import GRAPH_FORMATS, Outputs, write_outputs
from core.pipeline import Choice, Pipeline, default_ordering
from core.runtime.errors import ExplorerError
from core.runtime.store import ResultStore
from core.viz.sweep import SWEEP_FORMATS

# One run on one corpus: nothing to share, and a result evicted from a bounded store would only
# be computed again.
_UNBOUNDED = 2**62

PROJECT_FOLDER = "project"  # inside --out unless --project names another folder
LADDER_HTML = "html"  # --formats: the ladder as one self-contained page (the WebGL map)
DEFAULT_LADDER_FORMATS = ("png",)  # the one image a run writes unless --formats says otherwise


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
    _add_documents(p)
    _add_model(p)
    _add_ladder(p)
    _add_retrieval(p)
    _add_outputs(p)
    return p


def _add_documents(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("documents")
    g.add_argument(
        "corpus", help="a file or folder of documents, or 'demo' for the built-in corpus"
    )
    g.add_argument("--text-column", help="text column of a CSV/JSON corpus (default: best guess)")
    g.add_argument(
        "--label-column", help="optional label column, for NMI/ARI and hover (default: none)"
    )
    g.add_argument(
        "--id-column",
        help="the corpus's document id column, which query answers name (default: a column "
        "named 'id' when there is one, else the row's place in its file)",
    )


def _add_model(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        default=WORDLLAMA.key,
        help=f"preset ({', '.join(PRESETS)}), hub id or local path (default: {WORDLLAMA.key})",
    )
    g.add_argument(
        "--vectors",
        help="use embeddings computed elsewhere instead of a model: .npy/.csv/.tsv/.parquet, "
        "one row per document in corpus order (default: embed with --model)",
    )
    g.add_argument(
        "--vectors-matryoshka",
        action="store_true",
        help="the --vectors were Matryoshka-trained (keep native order under --ordering auto)",
    )
    g.add_argument(
        "--ordering",
        choices=["auto", "native", "pca"],
        default="auto",
        help="dimension order (default: auto, native for Matryoshka models, else PCA)",
    )
    g.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the heavy precompute on a Ray cluster (e.g. ray://head:10001 or auto), or "
        "'local' to start Ray on this machine's cores; without it Ray is never imported",
    )


def _add_ladder(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("ladder and graph")
    g.add_argument("--ladder", help="sizes to compute, e.g. 256,128,64,32,16,8 (default: halving)")
    g.add_argument(
        "--dims",
        help="sizes that get per-size files (--graphs, and map/network images under --formats); "
        "added to the ladder (default: every size)",
    )
    g.add_argument("--k", type=int, default=10, help="neighbours per document (default: 10)")
    g.add_argument(
        "--graph", choices=["knn", "mutual"], default="knn", help="graph kind (default: knn)"
    )
    g.add_argument(
        "--measure",
        choices=list(MEASURES),
        default="cosine",
        help="similarity measure for the kNN graph, communities, recall and Spearman "
        "(default: cosine; maps always use cosine)",
    )
    g.add_argument("--resolution", type=float, default=1.0, help="Leiden resolution (default: 1)")
    g.add_argument(
        "--min-recall-share",
        type=float,
        default=0.9,
        help="share of the full size's recall the recommended size keeps (default: 0.9)",
    )


def _add_retrieval(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("retrieval")
    g.add_argument(
        "--queries",
        metavar="FILE",
        help="a query set with known answers: a CSV/TSV/JSONL table (columns query and "
        "relevant: document ids separated by ';', each optionally ID:GRADE) or a BEIR folder; "
        f"'{LABELS}' makes sampled documents the queries and their label's documents the answers; "
        "writes the retrieval table per size × precision",
    )
    g.add_argument(
        "--query-vectors",
        metavar="FILE",
        help="the queries' vectors (one row per query, in the query file's order; for a BEIR "
        "folder, queries.jsonl's, leaving out queries without a judged answer), needed with "
        "--vectors: uploaded vectors have no model to embed the queries with",
    )
    g.add_argument(
        "--only",
        choices=["retrieval"],
        help="'retrieval': embed and write only the retrieval table (no graphs, maps or project)",
    )
    g.add_argument(
        "--keep-quality",
        type=float,
        default=0.95,
        help="share of the full size's nDCG@10 the recommended configuration keeps (default: 0.95)",
    )


def _add_outputs(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("outputs")
    g.add_argument("--out", default="out", help="output folder (default: out)")
    project = g.add_mutually_exclusive_group()
    project.add_argument(
        "--project",
        metavar="PATH",
        help="where to write the project folder (Parquet tables + manifest.json) that the app "
        f"opens with nothing recomputed (default: OUT/{PROJECT_FOLDER})",
    )
    project.add_argument(
        "--no-project", action="store_true", help="do not write the project folder"
    )
    g.add_argument(
        "--graphs",
        type=_choices(GRAPH_FORMATS),
        default=(),
        metavar="FORMATS",
        help="per-size graph files, any of graphml,gexf,csv,html (csv: the edge list; html: "
        f"the interactive network page); GraphML and GEXF only up to "
        f"{GRAPHML_DOCUMENT_LIMIT:,} documents (default: none)",
    )
    g.add_argument(
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
    g.add_argument(
        "--multilayer-limit",
        type=int,
        default=DOCUMENT_NODE_LIMIT,
        help="document nodes (documents × sizes) up to which the multi-layer graph keeps the "
        f"documents; above it, communities only (default: {DOCUMENT_NODE_LIMIT:,})",
    )


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
    intake = load_corpus(
        Path(args.corpus),
        text_column=args.text_column,
        label_column=args.label_column,
        id_column=args.id_column,
        unique_ids=bool(args.queries),  # answers name documents by id
    )
    for note in intake.notes:
        print(f"note: {note}", file=sys.stderr)
    return intake.corpus


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
