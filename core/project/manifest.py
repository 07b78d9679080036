"""A project's manifest: written from the pipeline with the digest of every table, and checked
when a project is opened, before any of its tables is unpacked or read."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime

from core.embed.models import PRESETS, ModelSpec, custom_models_allowed, named_model
from core.io.queries import QuerySet
from core.pipeline import Pipeline
from core.project.schema import FORMAT, MANIFEST, TABLES, VERSION
from core.runtime import machine
from core.runtime.errors import ExplorerError
from core.runtime.limits import PROJECT_LIMIT_ENV, max_project_bytes
from core.runtime.units import size_text

MAX_MANIFEST_BYTES = 1024 * 1024
_LIBRARIES = ("numpy", "pyarrow", "sentence-transformers", "umap-learn", "igraph", "faiss-cpu")


def build_manifest(pipe: Pipeline, files: Mapping[str, bytes]) -> dict:
    """The manifest of the pipeline's project, naming the size and sha256 of every file."""
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


def check_manifest(name: str, data: bytes) -> dict:
    """The manifest, refused when oversized or when the files it lists could not be a project's."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ExplorerError(f"{name}: {MANIFEST} is larger than a project's manifest can be.")
    manifest = _parse(name, data)
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


def _parse(name: str, data: bytes) -> dict:
    """The manifest's JSON, refused unless it is this format's, of this version, with every
    entry a project needs."""
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


def read_model(model: dict) -> ModelSpec:
    """The manifest's model: the preset of that key when it is one (so typed text can still be
    embedded), else a spec rebuilt from the manifest, which loads only where the server allows
    models other than the presets (the rule a model picked on the Corpus page follows)."""
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
