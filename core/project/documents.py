"""documents.parquet read back into the Corpus it was written from, checked against the
fingerprint the manifest gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from core.analysis.colour_by import Column, categorical_column
from core.io.corpus import Corpus
from core.project.schema import COLUMN_PREFIX
from core.runtime.errors import ExplorerError

_LABELS = {"label": "labels", "coarse_label": "coarse_labels"}  # column → Corpus field


def read_corpus(table: pa.Table, manifest: dict) -> Corpus:
    """The project's documents, with their labels when every document has one and their
    columns; refused unless they are the documents the manifest fingerprinted."""
    docs = table.to_pandas()
    corpus = Corpus(
        name=str(manifest.get("corpus_name", "project")),
        texts=tuple(docs["text"]),
        ids=tuple(docs["id"]),
        **{
            field: tuple(docs[column].astype(str))
            for column, field in _LABELS.items()
            if docs[column].notna().all()
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
    return corpus


def _column_of(name: str, cells: pd.Series) -> Column:
    if pd.api.types.is_float_dtype(cells.dtype):
        return Column(name, values=cells.to_numpy(np.float32))
    return categorical_column(name, cells.fillna("").astype(str).tolist())
