"""The names a project's files go by: its format, its manifest and its tables (the folder's
layout is described in core/project/__init__.py)."""

from __future__ import annotations

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
