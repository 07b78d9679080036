"""Opening a project: from a folder or a zip, every table checked against the manifest and read
within the server's memory budget, then assembled by the readers per table kind."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from core.analysis.ladder import GraphSettings
from core.pipeline import Choice
from core.project.documents import read_corpus
from core.project.manifest import MAX_MANIFEST_BYTES, check_manifest, read_model
from core.project.opened import Project
from core.project.parquet import decoded_estimate, read_table
from core.project.queries import read_query_set, read_query_vectors, read_retrieval
from core.project.schema import MANIFEST
from core.project.sizes import read_maps, read_neighbours, read_views
from core.project.summaries import read_timed
from core.project.unzip import unzip_project
from core.project.vectors import read_embedding
from core.runtime import memory
from core.runtime.errors import ExplorerError

_CHUNK = 1024 * 1024
_READ_COPIES = 2  # Arrow's tables and the arrays taken from them are held at once while reading


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
            folder, manifest = source, _folder_manifest(name, source)
        else:
            folder, manifest = Path(unpacked), unzip_project(name, source, Path(unpacked))
        for file, entry in manifest["files"].items():
            _check_file(name, folder / file, entry)
        files = {file.removesuffix(".parquet"): folder / file for file in manifest["files"]}
        try:
            with memory.reserve(_READ_COPIES * decoded_estimate(files), f"The project “{name}”"):
                tables = {table: read_table(path) for table, path in files.items()}
                return _assemble(manifest, tables)
        except ExplorerError:
            raise
        except Exception as error:  # pyarrow and numpy raise many types on malformed tables
            raise ExplorerError(
                f"{name}: the project's tables could not be read ({type(error).__name__}: "
                f"{str(error)[:200]})."
            ) from None


def _folder_manifest(name: str, folder: Path) -> dict:
    """The checked manifest of a project folder, read no further than a manifest can be."""
    if not (folder / MANIFEST).is_file():
        raise ExplorerError(f"{folder} is not a project folder (it has no {MANIFEST}).")
    with (folder / MANIFEST).open("rb") as handle:
        return check_manifest(name, handle.read(MAX_MANIFEST_BYTES + 1))


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


def _assemble(manifest: dict, tables: Mapping[str, pa.Table]) -> Project:
    """The Project of a checked manifest and its tables, each table checked by its reader."""
    corpus = read_corpus(tables["documents"], manifest)
    spec, ordering = read_model(manifest["model"]), str(manifest["ordering"])
    settings = GraphSettings(**manifest["settings"])
    dims = tuple(int(d) for d in manifest["dims"])
    raw, ordered = read_embedding(tables, len(corpus), dims, ordering)
    if Choice(corpus, spec, ordering).fingerprint != manifest["fingerprints"].get("choice"):
        raise ExplorerError(
            "The project's model or ordering does not match the fingerprint in its manifest; "
            "it was not opened."
        )
    neighbours = read_neighbours(tables["neighbours"], dims, len(corpus))
    views = read_views(tables, neighbours, settings.k, len(corpus))
    layouts = read_maps(tables["maps"], dims, len(corpus))
    query_set = read_query_set(manifest, tables)
    return Project(
        query_set=query_set,
        query_vectors=read_query_vectors(tables, query_set),
        retrieval=read_retrieval(tables, query_set, manifest),
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
        fidelity=read_timed(tables["fidelity"], manifest),
        lineage=tables["lineage"].to_pandas(),
        manifest=manifest,
    )
