"""Bring your own embeddings: vectors computed elsewhere, one row per document."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd

from core.embed.models import ModelSpec
from core.errors import ExplorerError
from core.io.corpus import Corpus

UPLOADED = "uploaded"
VECTOR_EXTENSIONS = (".npy", ".csv", ".tsv", ".parquet")
MAX_VECTOR_BYTES = 2_000_000_000


def read_vectors(name: str, data: bytes) -> np.ndarray:
    """A (documents × dims) float32 matrix from .npy, .csv/.tsv (numbers only) or .parquet
    (numeric columns, or one column of equal-length lists), rows kept at their own lengths (dot
    product and euclidean distance depend on them)."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in VECTOR_EXTENSIONS:
        raise ExplorerError(
            f"{name}: embeddings must be one of {', '.join(VECTOR_EXTENSIONS)}, not '{suffix}'."
        )
    if not data:
        raise ExplorerError(f"{name} is empty.")
    if len(data) > MAX_VECTOR_BYTES:
        raise ExplorerError(f"{name} is larger than {MAX_VECTOR_BYTES // 10**9} GB.")
    try:
        matrix = _parse(suffix, data)
    except ExplorerError:
        raise
    except Exception as exc:  # numpy, pandas and pyarrow each raise their own types
        raise ExplorerError(f"{name} could not be read as embeddings: {str(exc)[:200]}") from exc
    return _validated(name, matrix)


def _parse(suffix: str, data: bytes) -> np.ndarray:
    if suffix == ".npy":
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise ExplorerError(
                "The .npy file is not a plain numeric array (damaged, or pickled objects, which "
                "are refused for safety)."
            ) from exc
    if suffix == ".parquet":
        table = pd.read_parquet(io.BytesIO(data))
        if table.shape[1] == 1 and not pd.api.types.is_numeric_dtype(table.dtypes.iloc[0]):
            return np.vstack([np.asarray(v, dtype=np.float64) for v in table.iloc[:, 0]])
        return table.select_dtypes("number").to_numpy()
    sep = "\t" if suffix == ".tsv" else ","
    table = pd.read_csv(io.BytesIO(data), sep=sep, header=None)
    if not pd.api.types.is_numeric_dtype(table.dtypes.iloc[0]):  # a header row: read it as one
        table = pd.read_csv(io.BytesIO(data), sep=sep)
    return table.to_numpy()


def _validated(name: str, matrix: np.ndarray) -> np.ndarray:
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.number):
        raise ExplorerError(f"{name} must hold a 2-D table of numbers (documents × dimensions).")
    rows, dims = matrix.shape
    if rows < 3 or dims < 2:
        raise ExplorerError(f"{name} has {rows} rows × {dims} dimensions; need at least 3 × 2.")
    vectors = matrix.astype(np.float32)
    if not np.isfinite(vectors).all():
        raise ExplorerError(f"{name} contains NaN or infinite values.")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ExplorerError(f"{name} has all-zero rows, which have no direction to compare.")
    return vectors


def vectors_spec(name: str, vectors: np.ndarray, *, matryoshka: bool) -> ModelSpec:
    """A model spec standing for uploaded vectors; the key names the file and its content."""
    digest = hashlib.sha256(np.ascontiguousarray(vectors).tobytes()).hexdigest()[:12]
    dim = int(vectors.shape[1])
    return ModelSpec(
        key=f"{UPLOADED}:{PurePath(name).stem}:{digest}",
        label=f"Uploaded vectors {name} ({dim}-d)",
        source=UPLOADED,
        dim=dim,
        matryoshka_dims=(dim,) if matryoshka else (),
        offline=True,
    )


def check_alignment(vectors: np.ndarray, documents: int) -> np.ndarray:
    """The vectors, if there is exactly one row per document."""
    if vectors.shape[0] != documents:
        raise ExplorerError(
            f"The uploaded embeddings have {vectors.shape[0]:,} rows but the corpus has "
            f"{documents:,} documents. Upload vectors for this corpus (same order) or pick a model."
        )
    return vectors


@dataclass(frozen=True)
class UploadedVectors:
    """Embeddings uploaded for one corpus, bound to its documents (texts and ids, not labels) by
    their fingerprint, so that they are never used for other documents, even as many."""

    vectors: np.ndarray
    spec: ModelSpec
    corpus_fingerprint: str

    def matches(self, corpus: Corpus) -> bool:
        return corpus.documents_fingerprint == self.corpus_fingerprint

    def for_corpus(self, corpus: Corpus) -> np.ndarray:
        """The vectors, if they were uploaded for this corpus."""
        if not self.matches(corpus):
            raise ExplorerError(
                f"The embeddings {self.spec.label} were uploaded for another corpus. Upload "
                "vectors for this corpus or pick a model."
            )
        return self.vectors


def upload_vectors(
    name: str, data: bytes, corpus: Corpus, *, matryoshka: bool = False
) -> UploadedVectors:
    """Read an embeddings file for `corpus` (one row per document, same order) and bind it."""
    vectors = check_alignment(read_vectors(name, data), len(corpus))
    spec = vectors_spec(name, vectors, matryoshka=matryoshka)
    return UploadedVectors(vectors, spec, corpus.documents_fingerprint)
