"""Session-wide test settings: a persistent cache folder, so numba reuses compiled kernels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.runtime.cache import ENV_VAR


@pytest.fixture(autouse=True, scope="session")
def persistent_cache_dir() -> None:
    os.environ.setdefault(ENV_VAR, str(Path(__file__).parents[1] / ".cache" / "test-cache"))


class KernelPatches:
    """What core.runtime.numba_cache's patches see and do in a test: `installed` overrides the
    version its guard finds for a distribution, and `cached` lists the kernels it turned numba's
    disk cache on for (recorded, not turned on)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from numba.core.registry import CPUDispatcher

        from core.runtime import numba_cache

        found = numba_cache._installed_version
        self._monkeypatch = monkeypatch
        self.installed: dict[str, str] = {}
        self.cached: list[str] = []
        monkeypatch.setattr(
            numba_cache, "_installed_version", lambda name: self.installed.get(name, found(name))
        )

        def record(kernel) -> None:
            self.cached.append(kernel.py_func.__name__)

        monkeypatch.setattr(CPUDispatcher, "enable_caching", record)

    def without_nogil(self, kernel) -> None:
        """Give `kernel` its compile options as its library declares them, for this test."""
        options = {k: v for k, v in kernel.targetoptions.items() if k != "nogil"}
        self._monkeypatch.setattr(kernel, "targetoptions", options)


@pytest.fixture
def kernel_patches(monkeypatch: pytest.MonkeyPatch) -> KernelPatches:
    return KernelPatches(monkeypatch)


@pytest.fixture
def fresh_results():
    """An empty result store with no precompute running, before and after the test: results
    cached by one AppTest, or a job it left computing, must not leak into the next."""
    from core.schedule.background import cancel_all
    from pages.resources import results

    cancel_all()
    results().clear()
    yield
    cancel_all()
    results().clear()
