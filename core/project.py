"""Project files: one explored corpus on disk (documents, embedding, ordering and every size's
neighbour lists, graph, communities, map, fidelity and lineage) in Parquet tables plus a JSON
manifest, so a run is computed once and opened anywhere with nothing recomputed.

Layout of a project folder (also accepted zipped, with or without one top folder):
  manifest.json        format, version, model, ordering, settings, sizes, fingerprints, versions
                       of the libraries that wrote it, and the sha256 of every table below
  documents.parquet    row, id, text, label, coarse_label, and "column:NAME" per corpus column
  embedding.parquet    vector: the model's full-size vectors, one fixed-size list per document
  rotation.parquet     vector: the PCA rotation's rows (only for PCA ordering)
  neighbours.parquet   dim, row, neighbours (list<int32>), scores (list<float32>)
  graph.parquet        dim, src, dst, weight
  communities.parquet  dim, row, community, recall
  keywords.parquet     dim, community, keywords (list<string>)
  maps.parquet         dim, row, x, y
  fidelity.parquet     the fidelity table (one row per size)
  lineage.parquet      the nesting/AMI summary (one row per step)
  queries.parquet      id, text, relevant (list<string>), grades (list<double>): the query set
                       with known answers, when there is one (labels as answers: no rows, the
                       manifest's "queries" names the sample size)
  query_embedding.parquet  vector: the queries' full-size vectors (a query file's only)
  retrieval.parquet    the retrieval table (one row per size × precision)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.analysis.colour_by import Column, categorical_column
from core.analysis.graph import Graph
from core.analysis.knn import Neighbours
from core.analysis.ladder import DimensionView, GraphSettings
from core.analysis.ordering import Ordered
from core.embed.models import PRESETS, ModelSpec, custom_models_allowed, named_model
from core.io.archive import Archive, Member
from core.io.corpus import Corpus
from core.io.queries import QuerySet
from core.io.vectors import UploadedVectors
from core.pipeline import Choice, Pipeline
from core.runtime import machine, memory
from core.runtime.errors import ExplorerError
from core.runtime.units import MB, size_text

FORMAT = "matryoshka-graph-explorer-project"
VERSION = 1
MANIFEST = "manifest.json"
COLUMN_PREFIX = "column:"  # documents.parquet's name for a corpus column (core.io.columns)
QUERY_TABLES = ("queries", "query_embedding", "retrieval")  # only with a query set
TABLES = (
    "documents",
    "embedding",
    "rotation",
    "neighbours",
    "graph",
    "communities",
    "keywords",
    "maps",
    "fidelity",
    "lineage",
    *QUERY_TABLES,
)
MEASURED_ON = "measured_on"  # a restored fidelity or retrieval table's attrs key: where timed
PROJECT_LIMIT_ENV = "MGE_MAX_PROJECT_MB"  # what one project's tables may hold on disk
DEFAULT_MAX_PROJECT_MB = 4_000
_MANIFEST_BYTES = 1024 * 1024
# the entries a project's zip may hold: its tables and manifest with room for folders and the
# metadata files an archiver adds beside each (macOS Finder's __MACOSX/._NAME)
_MAX_ZIP_ENTRIES = 4 * (len(TABLES) + 1)
_CHUNK = 1024 * 1024
_READ_COPIES = 2  # Arrow's tables and the arrays taken from them are held at once while reading
# how much more a table's text may take expanded than on disk (beyond a megabyte of slack):
# written text compresses a few times over, never hundreds
_MAX_TEXT_EXPANSION = 20
PROJECTS_DIR_ENV = "MGE_PROJECTS_DIR"  # a server-side folder of projects the app offers to open
_LIBRARIES = ("numpy", "pyarrow", "sentence-transformers", "umap-learn", "igraph", "faiss-cpu")


@dataclass(frozen=True)
class Project:
    """A project read back: what the Pipeline needs to show it without computing anything."""

    corpus: Corpus
    spec: ModelSpec
    ordering: str
    settings: GraphSettings
    dims: tuple[int, ...]
    raw: np.ndarray
    ordered: Ordered
    neighbours: dict[int, Neighbours]
    views: dict[int, DimensionView]
    layouts: dict[int, np.ndarray]
    fidelity: pd.DataFrame
    lineage: pd.DataFrame
    manifest: dict
    query_set: QuerySet | None = None
    query_vectors: np.ndarray | None = None  # raw, for a query file
    retrieval: pd.DataFrame | None = None

    @property
    def vectors(self) -> UploadedVectors:
        """The project's embedding, bound to its corpus like uploaded vectors."""
        return UploadedVectors(self.raw, self.spec, self.corpus.documents_fingerprint)

    def pipeline(self, store=None) -> Pipeline:
        """A Pipeline whose store already holds every result of this project, under the keys
        it would compute them for, so that nothing is computed again."""
        pipe = Pipeline(
            Choice(self.corpus, self.spec, self.ordering),
            settings=self.settings,
            ladder=self.dims,
            store=store,
            uploaded=self.vectors,
            query_set=self.query_set,
        )
        put, keys = pipe.store.put, pipe.keys
        put(keys.ordered(), self.ordered)
        for dim, lists in self.neighbours.items():
            pipe.adopt_neighbours(dim, pipe.measure, lists)
        for dim, view in self.views.items():
            put(keys.view(dim), view)
        for dim, coords in self.layouts.items():
            pipe.adopt_layout(dim, coords)
        put(keys.fidelity(pipe.settings.k), self.fidelity)
        put(keys.per_ladder("lineage-summary"), self.lineage)
        if self.query_set is not None:
            if self.query_vectors is not None:
                pipe.adopt_query_vectors(self.query_set, self.query_vectors)
            if self.retrieval is not None:
                retrieval_k = int(self.retrieval["k"].iloc[0])
                put(keys.retrieval(self.query_set, retrieval_k), self.retrieval)
        return pipe


# ---------------------------------------------------------------- writing


def project_tables(pipe: Pipeline, progress=None) -> dict[str, pa.Table]:
    """Every table of a project for this pipeline, computing whatever is still missing."""
    corpus, dims = pipe.corpus, pipe.dims
    ordered = pipe.ordered()
    views = pipe.views(progress) if progress else pipe.views()
    layouts = pipe.layouts(progress) if progress else pipe.layouts()
    n = len(corpus)
    rows = np.arange(n, dtype=np.int32)
    tables = {
        "documents": pa.table(
            {
                "row": rows,
                "id": list(corpus.ids),
                "text": list(corpus.texts),
                "label": list(corpus.labels) if corpus.labels else [None] * n,
                "coarse_label": list(corpus.coarse_labels) if corpus.coarse_labels else [None] * n,
                **{COLUMN_PREFIX + c.name: _column_cells(c) for c in corpus.columns},
            }
        ),
        "embedding": _vector_table(pipe.raw()),
        "neighbours": _stack(
            {
                "dim": np.full(n, d, np.int32),
                "row": rows,
                "neighbours": _lists(pipe.neighbours(d).indices),
                "scores": _lists(pipe.neighbours(d).scores),
            }
            for d in dims
        ),
        "graph": _stack(
            {
                "dim": np.full(v.graph.edge_count, d, np.int32),
                "src": v.graph.src,
                "dst": v.graph.dst,
                "weight": v.graph.weight,
            }
            for d, v in views.items()
        ),
        "communities": _stack(
            {
                "dim": np.full(n, d, np.int32),
                "row": rows,
                "community": v.communities.astype(np.int32),
                "recall": v.recall.astype(np.float32),
            }
            for d, v in views.items()
        ),
        "keywords": _stack(
            {
                "dim": np.full(len(v.keywords), d, np.int32),
                "community": np.array(list(v.keywords), np.int32),
                "keywords": pa.array([list(w) for w in v.keywords.values()], pa.list_(pa.string())),
            }
            for d, v in views.items()
        ),
        "maps": _stack(
            {"dim": np.full(n, d, np.int32), "row": rows, "x": c[:, 0], "y": c[:, 1]}
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


def _query_tables(pipe: Pipeline) -> dict[str, pa.Table]:
    """The query set, its vectors (a query file's, as the model gave them) and its results."""
    query_set = pipe.query_set
    tables = {
        "queries": pa.table(
            {
                "id": pa.array(list(query_set.ids), pa.string()),
                "text": pa.array(list(query_set.texts), pa.string()),
                "relevant": pa.array(
                    [[doc for doc, _ in answers] for answers in query_set.relevant],
                    pa.list_(pa.string()),
                ),
                "grades": pa.array(
                    [[grade for _, grade in answers] for answers in query_set.relevant],
                    pa.list_(pa.float64()),
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


def _manifest(pipe: Pipeline, files: Mapping[str, bytes]) -> dict:
    spec, settings = pipe.choice.spec, pipe.settings
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "key": spec.key,
            "label": spec.label,
            "source": spec.source,
            "dim": spec.dim,
            "matryoshka_dims": list(spec.matryoshka_dims),
            "prompt": spec.prompt,
            "recipe": spec.recipe,
        },
        "ordering": pipe.choice.ordering,
        "settings": asdict(settings),
        "dims": list(pipe.dims),
        "documents": len(pipe.corpus),
        "corpus_name": pipe.corpus.name,
        "fingerprints": {"corpus": pipe.corpus.fingerprint, "choice": pipe.fingerprint},
        **(_query_manifest(pipe.query_set) if pipe.query_set is not None else {}),
        "written_by": {name: _version(name) for name in _LIBRARIES},
        "machine": machine.description(),
        "files": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        },
    }


def _query_manifest(query_set: QuerySet) -> dict:
    return {
        "queries": {
            "name": query_set.name,
            "from_labels": query_set.from_labels,
            "fingerprint": query_set.fingerprint,
        }
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def project_files(pipe: Pipeline, progress=None) -> dict[str, bytes]:
    """The project as file name → bytes (tables first, the manifest naming their digests)."""
    files = {}
    for name, table in project_tables(pipe, progress).items():
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        files[f"{name}.parquet"] = buffer.getvalue()
    manifest = _manifest(pipe, files)
    return {MANIFEST: json.dumps(manifest, indent=1).encode(), **files}


def write_project(pipe: Pipeline, folder: Path, progress=None) -> list[Path]:
    """Write the project into `folder` (created; files already there are replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in project_files(pipe, progress).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def project_zip(pipe: Pipeline, name: str) -> bytes:
    """The project zipped under one top folder `name` (the app's download)."""
    top = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "project"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # parquet is compressed
        for file, data in project_files(pipe).items():
            archive.writestr(f"{top}/{file}", data)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading


def max_project_bytes() -> int:
    """The largest project this server opens: $MGE_MAX_PROJECT_MB megabytes, else 4,000 MB."""
    return int(float(os.environ.get(PROJECT_LIMIT_ENV) or DEFAULT_MAX_PROJECT_MB) * MB)


def projects_folder() -> Path | None:
    """The server's projects folder ($MGE_PROJECTS_DIR), if set and present."""
    folder = os.environ.get(PROJECTS_DIR_ENV)
    return Path(folder) if folder and Path(folder).is_dir() else None


def list_projects(folder: Path) -> list[Path]:
    """The project folders directly inside `folder` (those with a manifest), by name."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / MANIFEST).is_file())


def read_project(source: Path | bytes, name: str = "project") -> Project:
    """A project from a folder or from zip bytes, every table checked against the manifest; any
    problem is an ExplorerError saying what is wrong and what to do. Nothing is read before its
    size is known: a zip is unpacked to a temporary folder member by member, each no larger than
    the manifest says, and the tables' decoded size is held in the server's memory budget while
    they are read."""
    with tempfile.TemporaryDirectory(prefix="mge-project-") as unpacked:
        if isinstance(source, Path):
            folder = source
            if not (folder / MANIFEST).is_file():
                raise ExplorerError(f"{folder} is not a project folder (it has no {MANIFEST}).")
            with (folder / MANIFEST).open("rb") as handle:
                manifest = _checked_manifest(name, handle.read(_MANIFEST_BYTES + 1))
        else:
            folder = Path(unpacked)
            manifest = _unzip(name, source, folder)
        for file, entry in manifest["files"].items():
            _check_file(name, folder / file, entry)
        files = {file.removesuffix(".parquet"): folder / file for file in manifest["files"]}
        try:
            with memory.reserve(_READ_COPIES * _decoded_estimate(files), f"The project “{name}”"):
                tables = {table: _read_table(path) for table, path in files.items()}
                return _assemble(manifest, tables)
        except ExplorerError:
            raise
        except Exception as error:  # pyarrow and numpy raise many types on malformed tables
            raise ExplorerError(
                f"{name}: the project's tables could not be read ({type(error).__name__}: "
                f"{str(error)[:200]})."
            ) from None


def _checked_manifest(name: str, data: bytes) -> dict:
    """The manifest, refused when oversized or when the files it lists could not be a project's."""
    if len(data) > _MANIFEST_BYTES:
        raise ExplorerError(f"{name}: {MANIFEST} is larger than a project's manifest can be.")
    manifest = _read_manifest(name, data)
    files = manifest["files"]
    allowed = {f"{table}.parquet" for table in TABLES}
    if not set(files) <= allowed or not all(
        isinstance(e, dict) and isinstance(e.get("bytes"), int) and e["bytes"] >= 0
        for e in files.values()
    ):
        raise ExplorerError(f"{name}: {MANIFEST} lists files that are not a project's tables.")
    total = sum(entry["bytes"] for entry in files.values())
    if total > max_project_bytes():
        raise ExplorerError(
            f"{name} holds {size_text(total)} of tables; this server opens projects up to "
            f"{size_text(max_project_bytes())} ({PROJECT_LIMIT_ENV})."
        )
    return manifest


def _check_file(name: str, path: Path, entry: dict) -> None:
    """The table is there, of the size and sha256 its manifest entry gives (read in chunks)."""
    if not path.is_file():
        raise ExplorerError(f"{name}: {path.name} is missing; the project is incomplete.")
    digest = hashlib.sha256()
    if path.stat().st_size == entry["bytes"]:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    if path.stat().st_size != entry["bytes"] or digest.hexdigest() != entry.get("sha256"):
        raise ExplorerError(
            f"{name}: {path.name} does not match the size and digest in its manifest (truncated "
            "or altered). Write the project again."
        )


def _unzip(name: str, data: bytes, into: Path) -> dict:
    """Unpack a project zip's tables into `into` and return its checked manifest: paths checked,
    the manifest read first, then only the tables it lists, each stopped as soon as it exceeds
    the size the manifest gives."""
    with Archive(
        name, data, _MAX_ZIP_ENTRIES, advice="Zip the project folder as it was written."
    ) as archive:
        unsafe = archive.outside()
        if unsafe:
            raise ExplorerError(
                f"{name} holds paths outside the project ({unsafe[0][:80]!r}); it was not "
                "opened. Zip the project folder as it was written."
            )
        # hidden files (.DS_Store, __MACOSX/._NAME) are an archiver's, not the project's
        files = archive.files()
        tops = {member.path.split("/")[0] for member in files if "/" in member.path}
        strip = f"{tops.pop()}/" if len(tops) == 1 and all("/" in m.path for m in files) else ""
        members = {
            member.path.removeprefix(strip): member
            for member in files
            if "/" not in member.path.removeprefix(strip)
        }
        if MANIFEST not in members:
            raise ExplorerError(f"{name} is not a project: it has no {MANIFEST}.")
        manifest = _checked_manifest(
            name, _unpack(name, archive, members[MANIFEST], _MANIFEST_BYTES)
        )
        for file, entry in manifest["files"].items():
            if file in members:
                _unpack(name, archive, members[file], entry["bytes"], into / file)
    return manifest


def _unpack(
    name: str, archive: Archive, member: Member, cap: int, target: Path | None = None
) -> bytes:
    """One member, decompressed in chunks and stopped past `cap` bytes: written to `target`, or
    returned when there is none (the manifest, which is small)."""
    info = member.info
    if member.size > cap:
        raise ExplorerError(
            f"{name}: {info.filename} unpacks to {size_text(member.size)}, more than its "
            f"manifest says ({size_text(cap)}); it was not opened."
        )
    too_big = (
        f"{name}: {info.filename} unpacks to more than its manifest says ({size_text(cap)}); "
        "it was not opened."
    )
    if target is None:
        return archive.read(member, cap, too_big)
    archive.extract(member, cap, too_big, target)
    return b""


def _decoded_estimate(files: Mapping[str, Path]) -> int:
    """An upper bound on the tables' size once read, from their Parquet footers alone: every
    value at 8 bytes (text as dictionary indices) plus every page uncompressed."""
    total = 0
    for path in files.values():
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for column in range(row_group.num_columns):
                chunk = row_group.column(column)
                total += 8 * chunk.num_values + chunk.total_uncompressed_size
    return total


def _read_table(path: Path) -> pa.Table:
    """A table with its text read as dictionaries first, so that a few distinct strings repeated
    many times are measured before they are expanded; refused when expanding them would not
    fit the memory the reading holds."""
    schema = pq.ParquetFile(path).schema
    text = [
        schema.column(i).path
        for i in range(len(schema))
        if schema.column(i).physical_type == "BYTE_ARRAY"
    ]
    table = pq.read_table(path, read_dictionary=text)
    expanded = sum(_dictionary_bytes(table.column(field.name)) for field in table.schema)
    if expanded > _MAX_TEXT_EXPANSION * (path.stat().st_size + _CHUNK):
        raise ExplorerError(
            f"{path.name} holds text that expands to {size_text(expanded)} from "
            f"{size_text(path.stat().st_size)}; a project's tables do not. It was not opened."
        )
    return table.cast(pa.schema([_plain(field) for field in table.schema]))


def _dictionary_bytes(column: pa.ChunkedArray) -> int:
    """Bytes the dictionary-encoded strings of a column take once expanded."""
    total = 0
    for chunk in column.chunks:
        values = chunk.flatten() if pa.types.is_list(chunk.type) else chunk
        if pa.types.is_dictionary(values.type):
            lengths = pc.binary_length(values.dictionary)
            total += pc.sum(pc.take(lengths, values.indices)).as_py() or 0
    return total


def _plain(field: pa.Field) -> pa.Field:
    """The field with dictionary types replaced by their value types."""
    kind = field.type
    if pa.types.is_dictionary(kind):
        return field.with_type(kind.value_type)
    if pa.types.is_list(kind) and pa.types.is_dictionary(kind.value_type):
        return field.with_type(pa.list_(kind.value_type.value_type))
    return field


def _read_manifest(name: str, data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ExplorerError(f"{name}: {MANIFEST} is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExplorerError(f"{name}: {MANIFEST} is not a Matryoshka Graph Explorer project.")
    version = manifest.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ExplorerError(
            f"{name} was written by a newer version of the app (project format {version}); this "
            f"one reads format {VERSION}. Update the app to open it."
        )
    if version < VERSION:
        raise ExplorerError(
            f"{name} uses project format {version}, older than this app's {VERSION}, which it "
            "no longer reads. Write the project again with this version."
        )
    needed = {"files", "model", "ordering", "settings", "dims", "fingerprints"}
    if not needed <= manifest.keys() or not isinstance(manifest["files"], dict):
        raise ExplorerError(f"{name}: {MANIFEST} lacks {sorted(needed - manifest.keys())}.")
    return manifest


def _assemble(manifest: dict, tables: Mapping[str, pa.Table]) -> Project:
    docs = tables["documents"].to_pandas()
    labels = [c for c in ("label", "coarse_label") if docs[c].notna().all()]
    corpus = Corpus(
        name=str(manifest.get("corpus_name", "project")),
        texts=tuple(docs["text"]),
        ids=tuple(docs["id"]),
        **{
            ("labels" if c == "label" else "coarse_labels"): tuple(docs[c].astype(str))
            for c in labels
        },
        columns=tuple(
            _column_of(c.removeprefix(COLUMN_PREFIX), docs[c])
            for c in docs.columns
            if c.startswith(COLUMN_PREFIX)
        ),
    )
    if corpus.fingerprint != manifest["fingerprints"].get("corpus"):
        raise ExplorerError(
            "The project's documents do not match the fingerprint in its manifest, so its "
            "results may belong to other documents; it was not opened."
        )
    spec = _spec(manifest["model"])
    settings = GraphSettings(**manifest["settings"])
    dims = tuple(int(d) for d in manifest["dims"])
    ordering = str(manifest["ordering"])
    raw = _matrix(tables["embedding"], np.float32)
    rotation = _matrix(tables["rotation"], np.float64) if "rotation" in tables else None
    if raw.shape[0] != len(corpus) or max(dims) != raw.shape[1]:
        raise ExplorerError("The project's embedding does not fit its documents and sizes.")
    ordered = Ordered(Ordered(raw, ordering, rotation).transform(raw), ordering, rotation)
    if Choice(corpus, spec, ordering).fingerprint != manifest["fingerprints"].get("choice"):
        raise ExplorerError(
            "The project's model or ordering does not match the fingerprint in its manifest; "
            "it was not opened."
        )
    n = len(corpus)
    neighbours = _per_dim(tables["neighbours"], dims, lambda t, d: _neighbours(t, n, d))
    names = _per_dim(tables["keywords"], dims, lambda t, d: _keywords(t), required=False)
    graphs = _per_dim(tables["graph"], dims, lambda t, d: _graph(t, n, d))
    members = _per_dim(tables["communities"], dims, lambda t, d: _communities(t, n, d, len(dims)))
    views = {
        d: DimensionView(
            dim=d,
            neighbours=Neighbours(
                neighbours[d].indices[:, : settings.k], neighbours[d].scores[:, : settings.k]
            ),
            graph=graphs[d],
            communities=members[d]["community"].to_numpy().astype(np.int64),
            keywords=names[d],
            recall=members[d]["recall"].to_numpy(),
        )
        for d in dims
    }
    layouts = _per_dim(tables["maps"], dims, lambda t, d: _coordinates(t, n, d))
    query_set = _query_set(manifest, tables)
    return Project(
        query_set=query_set,
        query_vectors=_matrix(tables["query_embedding"], np.float32)
        if "query_embedding" in tables and query_set is not None
        else None,
        retrieval=_measured_elsewhere(tables["retrieval"].to_pandas(), manifest)
        if "retrieval" in tables and query_set is not None
        else None,
        corpus=corpus,
        spec=spec,
        ordering=ordering,
        settings=settings,
        dims=dims,
        raw=raw,
        ordered=ordered,
        neighbours=neighbours,
        views=views,
        layouts=layouts,
        fidelity=_measured_elsewhere(tables["fidelity"].to_pandas(), manifest),
        lineage=tables["lineage"].to_pandas(),
        manifest=manifest,
    )


def _query_set(manifest: dict, tables: Mapping[str, pa.Table]) -> QuerySet | None:
    """The project's query set, checked against the fingerprint its manifest gives."""
    entry = manifest.get("queries")
    if not isinstance(entry, dict) or "queries" not in tables:
        return None
    queries = tables["queries"].to_pydict()
    query_set = QuerySet(
        str(entry.get("name", "queries")),
        tuple(queries["id"]),
        tuple(queries["text"]),
        tuple(
            tuple(zip(docs, grades, strict=True))
            for docs, grades in zip(queries["relevant"], queries["grades"], strict=True)
        ),
        tuple(f"query {i + 1}" for i in range(len(queries["id"]))),
        from_labels=int(entry.get("from_labels", 0)),
    )
    if query_set.fingerprint != entry.get("fingerprint"):
        raise ExplorerError(
            "The project's query set does not match the fingerprint in its manifest; it was "
            "not opened."
        )
    return query_set


def _measured_elsewhere(table: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """A table with search times (fidelity, retrieval), naming where they were measured (the
    pages say it)."""
    where = str(manifest.get("machine") or "a machine this project does not name")
    table.attrs[MEASURED_ON] = (
        f"{where}, where the project was written ({manifest.get('created', 'date unknown')})"
    )
    return table


def _spec(model: dict) -> ModelSpec:
    """The preset of that key when it is one (so typed text can still be embedded), else a spec
    rebuilt from the manifest, which loads only where the server allows models other than the
    presets (the rule a model picked on the Corpus page follows)."""
    preset = PRESETS.get(model.get("key"))
    if preset is not None and preset.source == model.get("source"):
        return preset
    rebuilt = ModelSpec(
        key=str(model["key"]),
        label=str(model.get("label", model["key"])),
        source=str(model["source"]),
        dim=model.get("dim"),
        matryoshka_dims=tuple(model.get("matryoshka_dims", ())),
        prompt=str(model.get("prompt", "")),
        recipe=str(model.get("recipe", "")),
    )
    return named_model(rebuilt, allow_custom=custom_models_allowed())


def _column_cells(column: Column) -> pa.Array:
    """A corpus column as documents.parquet holds it: numbers, or category names (null where
    blank)."""
    if column.numeric:
        return pa.array(column.values, pa.float32())
    names = np.asarray((*column.categories, None), dtype=object)
    return pa.array(names[column.codes], pa.string())


def _column_of(name: str, cells: pd.Series) -> Column:
    if pd.api.types.is_float_dtype(cells.dtype):
        return Column(name, values=cells.to_numpy(np.float32))
    return categorical_column(name, cells.fillna("").astype(str).tolist())


def _matrix(table: pa.Table, dtype, column_name: str = "vector") -> np.ndarray:
    column = table.column(column_name).combine_chunks()
    width = column.type.list_size
    return column.flatten().to_numpy().astype(dtype).reshape(-1, width)


def _per_dim(table: pa.Table, dims, build, *, required: bool = True) -> dict:
    """build(rows, dim) for each size's rows of a table stacked by size."""
    frame_dims = table.column("dim").to_numpy()
    found = {}
    for d in dims:
        part = table.filter(pa.array(frame_dims == d))
        if part.num_rows == 0 and required:
            raise ExplorerError(f"The project has no results for {d} dims; it was not opened.")
        found[d] = build(part, d)
    return found


# Each size's per-document tables are checked to hold every document once and to name only
# documents the project has: a crafted table would otherwise colour, place or link documents
# other than the ones it shows, or stop a page on an index out of range.


def _every_row(table: pa.Table, n: int, what: str, dim: int) -> pa.Table:
    """The table sorted by row, refused unless its rows are the n documents, each once."""
    if not np.array_equal(np.sort(table.column("row").to_numpy()), np.arange(n)):
        raise ExplorerError(
            f"The project's {what} for {dim} dims do not give each of its {n:,} documents one "
            "row; it was not opened."
        )
    return table.sort_by("row")


def _in_range(values: np.ndarray, limit: int, what: str, dim: int) -> None:
    """Refuse values outside 0..limit-1 (document rows, or community numbers)."""
    outside = values[(values < 0) | (values >= limit)]
    if outside.size:
        raise ExplorerError(
            f"The project's {what} for {dim} dims name {outside[0]}, outside 0 to "
            f"{limit - 1:,}; it was not opened."
        )


def _neighbours(table: pa.Table, n: int, dim: int) -> Neighbours:
    table = _every_row(table, n, "neighbour lists", dim)
    indices = _matrix(table, np.int64, "neighbours")
    _in_range(indices, n, "neighbour lists", dim)
    return Neighbours(indices.astype(np.int32), _matrix(table, np.float32, "scores"))


def _graph(table: pa.Table, n: int, dim: int) -> Graph:
    src, dst = (table.column(end).to_numpy().astype(np.int64) for end in ("src", "dst"))
    _in_range(np.concatenate([src, dst]), n, "graph edges", dim)
    weight = table.column("weight").to_numpy().astype(np.float32)
    return Graph(n, src.astype(np.int32), dst.astype(np.int32), weight)


def _communities(table: pa.Table, n: int, dim: int, sizes: int) -> pa.Table:
    table = _every_row(table, n, "communities", dim)
    # numbers start below n at the largest size and grow by fewer than n at each smaller one
    # (core.analysis.communities.match_communities numbers the unmatched anew), so arrays
    # indexed by community number stay small
    values = table.column("community").to_numpy().astype(np.int64)
    _in_range(values, n * sizes, "communities", dim)
    return table


def _coordinates(table: pa.Table, n: int, dim: int) -> np.ndarray:
    table = _every_row(table, n, "map coordinates", dim)
    return np.column_stack([table.column(axis).to_numpy() for axis in ("x", "y")]).astype(
        np.float32
    )


def _keywords(table: pa.Table) -> dict[int, tuple[str, ...]]:
    return {
        int(c): tuple(words)
        for c, words in zip(
            table.column("community").to_pylist(), table.column("keywords").to_pylist(), strict=True
        )
    }
