"""Session-wide test settings: a persistent cache folder, so numba reuses compiled kernels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.runtime.cache import ENV_VAR


@pytest.fixture(autouse=True, scope="session")
def persistent_cache_dir() -> None:
    os.environ.setdefault(ENV_VAR, str(Path(__file__).parents[1] / ".cache" / "test-cache"))
