"""The server's settings from its environment: upper bounds on one upload, one analysis and one
opened project, the messages for going past them, and the folder of projects it offers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.runtime.errors import ExplorerError
from core.runtime.units import MB, size_text

MAX_DOCUMENTS_ENV = "MGE_MAX_DOCUMENTS"
DEFAULT_MAX_DOCUMENTS = 200_000
MAX_DIMENSIONS_ENV = "MGE_MAX_DIMENSIONS"
DEFAULT_MAX_DIMENSIONS = 8_192
# every size of a ladder is a graph and a map of its own
MAX_SIZES_ENV = "MGE_MAX_SIZES"
DEFAULT_MAX_SIZES = 24
# a query set's sampled queries are each searched exactly at every size
MAX_QUERIES_ENV = "MGE_MAX_QUERIES"
DEFAULT_MAX_QUERIES = 2_000
PROJECT_LIMIT_ENV = "MGE_MAX_PROJECT_MB"  # what one project's tables may hold on disk
DEFAULT_MAX_PROJECT_MB = 4_000
PROJECTS_DIR_ENV = "MGE_PROJECTS_DIR"  # a server-side folder of projects the app offers to open


def _env_limit(name: str, default: int) -> int:
    """The server's limit from environment variable `name` if set (a whole number of at least
    1, underscores allowed), else `default`."""
    value = os.environ.get(name, "").strip().replace("_", "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def _max_documents() -> int:
    return _env_limit(MAX_DOCUMENTS_ENV, DEFAULT_MAX_DOCUMENTS)


def max_sizes() -> int:
    """The most sizes one ladder may have: MGE_MAX_SIZES if set, else 24."""
    return _env_limit(MAX_SIZES_ENV, DEFAULT_MAX_SIZES)


def max_queries() -> int:
    """The most queries one query set may have: MGE_MAX_QUERIES if set, else 2,000."""
    return _env_limit(MAX_QUERIES_ENV, DEFAULT_MAX_QUERIES)


def max_project_bytes() -> int:
    """The largest project this server opens: $MGE_MAX_PROJECT_MB megabytes, else 4,000 MB."""
    return int(float(os.environ.get(PROJECT_LIMIT_ENV) or DEFAULT_MAX_PROJECT_MB) * MB)


def projects_folder() -> Path | None:
    """The server's projects folder ($MGE_PROJECTS_DIR), if set and present."""
    folder = os.environ.get(PROJECTS_DIR_ENV)
    return Path(folder) if folder and Path(folder).is_dir() else None


def check_ladder_length(count: int) -> None:
    """Refuse a ladder of more than max_sizes() sizes."""
    if count > max_sizes():
        raise ExplorerError(
            f"The ladder has {count} sizes; the limit is {max_sizes()}, as every size is a "
            "graph and a map of its own. Keep the sizes you want to compare."
        )


def _max_dimensions() -> int:
    """The server's limit on the width of uploaded vectors: MGE_MAX_DIMENSIONS if set, else
    8,192 (PCA ordering holds a dimensions × dimensions matrix)."""
    return _env_limit(MAX_DIMENSIONS_ENV, DEFAULT_MAX_DIMENSIONS)


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one upload may contain; longer documents are cut, not rejected."""

    max_file_bytes: int = 50 * MB
    max_total_bytes: int = 200 * MB
    max_documents: int = field(default_factory=_max_documents)
    max_dimensions: int = field(default_factory=_max_dimensions)  # of uploaded vectors
    max_doc_chars: int = 20_000  # per document embedded, after any split into passages
    max_read_chars: int = 5_000_000  # read from one PDF, before any split
    max_zip_members: int = 2_000
    max_zip_entries: int = 20_000  # every entry, folders and skipped files included
    max_zip_uncompressed: int = 200 * MB


DEFAULT_LIMITS = Limits()


def check_sizes(sizes: list[tuple[str, int]], limits: Limits) -> None:
    """Refuse any file over the per-file limit, and a set of files over the total limit."""
    for name, size in sizes:
        if size > limits.max_file_bytes:
            raise too_large(name, size, limits.max_file_bytes)
    total = sum(size for _, size in sizes)
    if total > limits.max_total_bytes:
        raise ExplorerError(
            f"The files total {size_text(total)}; the limit is {size_text(limits.max_total_bytes)} "
            "per upload. Use fewer or smaller files."
        )


def too_large(name: str, size: int, limit: int) -> ExplorerError:
    return ExplorerError(
        f"{name} is {size_text(size)}; the limit is {size_text(limit)} per file. "
        "Split it or keep a sample of it."
    )


def check_document_count(name: str, count: int, limits: Limits) -> None:
    if count > limits.max_documents:
        raise too_many_documents(f"{name} has {count:,} documents, which", limits)


def too_many_documents(what: str, limits: Limits) -> ExplorerError:
    return ExplorerError(
        f"{what} is more than the limit of {limits.max_documents:,} documents. "
        "Split the data or keep a sample of it."
    )
