"""Project files: one explored corpus on disk (documents, embedding, ordering and every size's
neighbour lists, graph, communities, map, fidelity and lineage) in Parquet tables plus a JSON
manifest, so a run is computed once and opened anywhere with nothing recomputed.

Layout of a project folder (also accepted zipped, with or without one top folder):
  manifest.json        format, version, model, ordering, settings, sizes, fingerprints, versions
                       of the libraries that wrote it, and the sha256 of every table below
  documents.parquet    row, id, text, label, coarse_label
  embedding.parquet    vector: the model's full-size vectors, one fixed-size list per document
  rotation.parquet     vector: the PCA rotation's rows (only for PCA ordering)
  neighbours.parquet   dim, row, neighbours (list<int32>), scores (list<float32>)
  graph.parquet        dim, src, dst, weight
  communities.parquet  dim, row, community, recall
  keywords.parquet     dim, community, keywords (list<string>)
  maps.parquet         dim, row, x, y
  fidelity.parquet     the fidelity table (one row per size)
  lineage.parquet      the nesting/AMI summary (one row per step)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.analysis.graph import Graph
from core.analysis.knn import Neighbours
from core.analysis.ladder import DimensionView, GraphSettings
from core.embed.models import PRESETS, ModelSpec
from core.embed.ordering import Ordered
from core.errors import ExplorerError
from core.io.corpus import Corpus
from core.io.vectors import UploadedVectors
from core.io.zipsafe import safe_path
from core.pipeline import Choice, Pipeline

FORMAT = "matryoshka-graph-explorer-project"
VERSION = 1
MANIFEST = "manifest.json"
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
)
MAX_PROJECT_BYTES = 8 * 1024**3  # what one project zip may unpack to
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

    @property
    def vectors(self) -> UploadedVectors:
        """The project's embedding, bound to its corpus like uploaded vectors."""
        return UploadedVectors(self.raw, self.spec, self.corpus.fingerprint)

    def pipeline(self, store=None) -> Pipeline:
        """A Pipeline whose store already holds every result of this project."""
        pipe = Pipeline(
            Choice(self.corpus, self.spec, self.ordering),
            settings=self.settings,
            ladder=self.dims,
            store=store,
            uploaded=self.vectors,
        )
        pipe.restore(
            self.ordered, self.neighbours, self.views, self.layouts, self.fidelity, self.lineage
        )
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
        "written_by": {name: _version(name) for name in _LIBRARIES},
        "files": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        },
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


def projects_folder() -> Path | None:
    """The server's projects folder ($MGE_PROJECTS_DIR), if set and present."""
    folder = os.environ.get(PROJECTS_DIR_ENV)
    return Path(folder) if folder and Path(folder).is_dir() else None


def list_projects(folder: Path) -> list[Path]:
    """The project folders directly inside `folder` (those with a manifest), by name."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / MANIFEST).is_file())


def read_project(source: Path | bytes, name: str = "project") -> Project:
    """A project from a folder or from zip bytes, every table checked against the manifest; any
    problem is an ExplorerError saying what is wrong and what to do."""
    files = _folder_files(source) if isinstance(source, Path) else _zip_files(name, source)
    manifest = _read_manifest(name, files)
    for file, entry in manifest["files"].items():
        data = files.get(file)
        if data is None:
            raise ExplorerError(f"{name}: {file} is missing; the project is incomplete.")
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise ExplorerError(
                f"{name}: {file} does not match the digest in its manifest (truncated or "
                "altered). Write the project again."
            )
    try:
        tables = {
            file.removesuffix(".parquet"): pq.read_table(io.BytesIO(files[file]))
            for file in manifest["files"]
        }
        return _assemble(manifest, tables)
    except ExplorerError:
        raise
    except Exception as error:  # pyarrow and numpy raise many types on malformed tables
        raise ExplorerError(
            f"{name}: the project's tables could not be read ({type(error).__name__}: "
            f"{str(error)[:200]})."
        ) from None


def _folder_files(folder: Path) -> dict[str, bytes]:
    if not (folder / MANIFEST).is_file():
        raise ExplorerError(f"{folder} is not a project folder (it has no {MANIFEST}).")
    return {
        path.name: path.read_bytes()
        for path in folder.iterdir()
        if path.is_file() and (path.name == MANIFEST or path.suffix == ".parquet")
    }


def _zip_files(name: str, data: bytes) -> dict[str, bytes]:
    """The members of a project zip, refused whole if any path is unsafe, and bounded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExplorerError(f"{name} is not a readable zip archive.") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        unsafe = [info.filename for info in infos if safe_path(info.filename) is None]
        if unsafe:
            raise ExplorerError(
                f"{name} holds paths outside the project ({unsafe[0][:80]!r}); it was not "
                "opened. Zip the project folder as it was written."
            )
        if len(infos) > 4 * len(TABLES) or sum(i.file_size for i in infos) > MAX_PROJECT_BYTES:
            raise ExplorerError(f"{name} holds more than a project does; it was not opened.")
        paths = {safe_path(info.filename): info for info in infos}
        tops = {path.split("/")[0] for path in paths if "/" in path}
        strip = f"{tops.pop()}/" if len(tops) == 1 and all("/" in p for p in paths) else ""
        try:
            return {
                path.removeprefix(strip): archive.read(info)
                for path, info in paths.items()
                if "/" not in path.removeprefix(strip)
            }
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ExplorerError(f"{name} could not be unpacked ({error}).") from None


def _read_manifest(name: str, files: Mapping[str, bytes]) -> dict:
    if MANIFEST not in files:
        raise ExplorerError(f"{name} is not a project: it has no {MANIFEST}.")
    try:
        manifest = json.loads(files[MANIFEST])
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
    neighbours = _per_dim(tables["neighbours"], dims, _neighbours)
    names = _per_dim(tables["keywords"], dims, _keywords)
    graphs = _per_dim(tables["graph"], dims, lambda t: _graph(t, len(corpus)))
    members = _per_dim(tables["communities"], dims, lambda t: t.sort_by("row"))
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
    maps = tables["maps"].to_pandas()
    layouts = {
        int(d): part.sort_values("row")[["x", "y"]].to_numpy(np.float32)
        for d, part in maps.groupby("dim")
    }
    return Project(
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
        fidelity=tables["fidelity"].to_pandas(),
        lineage=tables["lineage"].to_pandas(),
        manifest=manifest,
    )


def _spec(model: dict) -> ModelSpec:
    """The preset of that key when it is one (so typed text can still be embedded), else a spec
    rebuilt from the manifest."""
    preset = PRESETS.get(model.get("key"))
    if preset is not None and preset.source == model.get("source"):
        return preset
    return ModelSpec(
        key=str(model["key"]),
        label=str(model.get("label", model["key"])),
        source=str(model["source"]),
        dim=model.get("dim"),
        matryoshka_dims=tuple(model.get("matryoshka_dims", ())),
        prompt=str(model.get("prompt", "")),
        recipe=str(model.get("recipe", "")),
    )


def _matrix(table: pa.Table, dtype, column_name: str = "vector") -> np.ndarray:
    column = table.column(column_name).combine_chunks()
    width = column.type.list_size
    return column.flatten().to_numpy().astype(dtype).reshape(-1, width)


def _per_dim(table: pa.Table, dims, build) -> dict:
    frame_dims = table.column("dim").to_numpy()
    found = {}
    for d in dims:
        part = table.filter(pa.array(frame_dims == d))
        if part.num_rows == 0 and build is not _keywords:
            raise ExplorerError(f"The project has no results for {d} dims.")
        found[d] = build(part)
    return found


def _neighbours(table: pa.Table) -> Neighbours:
    table = table.sort_by("row")
    return Neighbours(_matrix(table, np.int32, "neighbours"), _matrix(table, np.float32, "scores"))


def _graph(table: pa.Table, n: int) -> Graph:
    return Graph(
        n,
        table.column("src").to_numpy().astype(np.int32),
        table.column("dst").to_numpy().astype(np.int32),
        table.column("weight").to_numpy().astype(np.float32),
    )


def _keywords(table: pa.Table) -> dict[int, tuple[str, ...]]:
    return {
        int(c): tuple(words)
        for c, words in zip(
            table.column("community").to_pylist(), table.column("keywords").to_pylist(), strict=True
        )
    }
