"""Content-addressed on-disk cache for arrays (embeddings), with atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE_VERSION = 1
ENV_VAR = "MGE_CACHE_DIR"


def cache_dir() -> Path:
    """The cache root: $MGE_CACHE_DIR, else ~/.cache/matryoshka-graph-explorer."""
    root = os.environ.get(ENV_VAR) or Path.home() / ".cache" / "matryoshka-graph-explorer"
    return Path(root)


def texts_digest(texts: Sequence[str]) -> str:
    """sha256 over the texts, length-prefixed so that ("ab", "c") and ("a", "bc") differ; a lone
    surrogate (which UTF-8 cannot hold) is hashed as its code point's three bytes."""
    h = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def cache_key(parts: dict) -> str:
    """A stable key for an explicit, versioned dict of inputs."""
    payload = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def load_array(key: str, root: Path | None = None) -> np.ndarray | None:
    """The cached array for key, or None when missing or unreadable (a corrupt entry is dropped)."""
    path = (root or cache_dir()) / "embeddings" / f"{key}.npy"
    if not path.exists():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return None


def save_array(key: str, array: np.ndarray, root: Path | None = None) -> Path:
    """Write array under key atomically (temp file + rename), so readers never see half a file."""
    folder = (root or cache_dir()) / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.npy"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def array_digest(array: np.ndarray) -> str:
    """sha256 over an array's shape, dtype and values: the content key of vectors that no model
    name stands for."""
    data = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{data.shape}{data.dtype.str}".encode())
    h.update(data.reshape(-1).view(np.uint8))
    return h.hexdigest()[:32]
