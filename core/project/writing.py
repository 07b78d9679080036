"""Writing a project: its tables from a pipeline (computing whatever is still missing), saved as
Parquet with the manifest naming their digests, into a folder or a zip."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core.analysis.colour_by import Column
from core.analysis.ladder import DimensionView
from core.io.corpus import Corpus
from core.pipeline import Pipeline
from core.project.manifest import build_manifest
from core.project.schema import COLUMN_PREFIX, MANIFEST


def write_project(pipe: Pipeline, folder: Path, progress=None) -> list[Path]:
    """Write the project into `folder` (created; files already there are replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in _files(pipe, progress).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def project_zip(pipe: Pipeline, name: str) -> bytes:
    """The project zipped under one top folder `name` (the app's download)."""
    top = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "project"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # parquet is compressed
        for file, data in _files(pipe).items():
            archive.writestr(f"{top}/{file}", data)
    return buffer.getvalue()


def _files(pipe: Pipeline, progress=None) -> dict[str, bytes]:
    """The project as file name → bytes (tables first, the manifest naming their digests)."""
    files = {}
    for name, table in _tables(pipe, progress).items():
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        files[f"{name}.parquet"] = buffer.getvalue()
    return {MANIFEST: json.dumps(build_manifest(pipe, files), indent=1).encode(), **files}


def _tables(pipe: Pipeline, progress=None) -> dict[str, pa.Table]:
    """Every table of a project for this pipeline, computing whatever is still missing."""
    ordered = pipe.ordered()
    views = pipe.views(progress) if progress else pipe.views()
    layouts = pipe.layouts(progress) if progress else pipe.layouts()
    rows = np.arange(len(pipe.corpus), dtype=np.int32)
    tables = {
        "documents": _documents(pipe.corpus, rows),
        "embedding": _vector_table(pipe.raw()),
        "neighbours": _neighbours(pipe, rows),
        "graph": _graphs(views),
        "communities": _communities(views, rows),
        "keywords": _keywords(views),
        "maps": _stack(
            {"dim": np.full(len(rows), d, np.int32), "row": rows, "x": c[:, 0], "y": c[:, 1]}
            for d, c in layouts.items()
        ),
        "fidelity": pa.Table.from_pandas(pipe.fidelity(), preserve_index=False),
        "lineage": pa.Table.from_pandas(pipe.lineage_summary(), preserve_index=False),
    }
    if ordered.rotation is not None:
        tables["rotation"] = _vector_table(ordered.rotation.astype(np.float64))
    if pipe.query_set is not None:
        tables.update(_query_tables(pipe))
    return tables


def _documents(corpus: Corpus, rows: np.ndarray) -> pa.Table:
    n = len(rows)
    return pa.table(
        {
            "row": rows,
            "id": list(corpus.ids),
            "text": list(corpus.texts),
            "label": list(corpus.labels) if corpus.labels else [None] * n,
            "coarse_label": list(corpus.coarse_labels) if corpus.coarse_labels else [None] * n,
            **{COLUMN_PREFIX + c.name: _column_cells(c) for c in corpus.columns},
        }
    )


def _column_cells(column: Column) -> pa.Array:
    """A corpus column as documents.parquet holds it: numbers, or category names (null where
    blank)."""
    if column.numeric:
        return pa.array(column.values, pa.float32())
    names = np.asarray((*column.categories, None), dtype=object)
    return pa.array(names[column.codes], pa.string())


def _neighbours(pipe: Pipeline, rows: np.ndarray) -> pa.Table:
    return _stack(
        {
            "dim": np.full(len(rows), d, np.int32),
            "row": rows,
            "neighbours": _lists(pipe.neighbours(d).indices),
            "scores": _lists(pipe.neighbours(d).scores),
        }
        for d in pipe.dims
    )


def _graphs(views: dict[int, DimensionView]) -> pa.Table:
    return _stack(
        {
            "dim": np.full(v.graph.edge_count, d, np.int32),
            "src": v.graph.src,
            "dst": v.graph.dst,
            "weight": v.graph.weight,
        }
        for d, v in views.items()
    )


def _communities(views: dict[int, DimensionView], rows: np.ndarray) -> pa.Table:
    return _stack(
        {
            "dim": np.full(len(rows), d, np.int32),
            "row": rows,
            "community": v.communities.astype(np.int32),
            "recall": v.recall.astype(np.float32),
        }
        for d, v in views.items()
    )


def _keywords(views: dict[int, DimensionView]) -> pa.Table:
    return _stack(
        {
            "dim": np.full(len(v.keywords), d, np.int32),
            "community": np.array(list(v.keywords), np.int32),
            "keywords": pa.array([list(w) for w in v.keywords.values()], pa.list_(pa.string())),
        }
        for d, v in views.items()
    )


def _query_tables(pipe: Pipeline) -> dict[str, pa.Table]:
    """The query set, its vectors (a query file's, as the model gave them) and its results."""
    query_set = pipe.query_set
    answers = query_set.relevant
    tables = {
        "queries": pa.table(
            {
                "id": pa.array(list(query_set.ids), pa.string()),
                "text": pa.array(list(query_set.texts), pa.string()),
                "relevant": pa.array(
                    [[doc for doc, _ in pairs] for pairs in answers], pa.list_(pa.string())
                ),
                "grades": pa.array(
                    [[grade for _, grade in pairs] for pairs in answers], pa.list_(pa.float64())
                ),
            }
        ),
        "retrieval": pa.Table.from_pandas(pipe.retrieval(query_set), preserve_index=False),
    }
    if not query_set.from_labels:
        tables["query_embedding"] = _vector_table(pipe.raw_query_vectors(query_set))
    return tables


def _vector_table(matrix: np.ndarray) -> pa.Table:
    flat = pa.array(np.ascontiguousarray(matrix).ravel())
    return pa.table({"vector": pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])})


def _lists(matrix: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])


def _stack(parts) -> pa.Table:
    return pa.concat_tables([pa.table(part) for part in parts])
