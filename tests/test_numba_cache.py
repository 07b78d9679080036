"""numba's disk cache for a package's kernels: on for those taking no function, and read back by
the next process; it and the GIL release only on the library versions they were written for."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.runtime import numba_cache

KERNELS = """
import numba

@numba.njit
def add_one(x):
    return x + 1

@numba.njit
def apply(fn, x):  # calls its argument
    return fn(x)

@numba.njit
def apply_twice(fn, x):  # passes it on, under a name that apply calls
    return apply(fn, apply(fn, x))
"""

RUN = """
import json
from core.runtime.numba_cache import cache_package_kernels
import kernels_pkg.ops as ops
cache_package_kernels("kernels_pkg")
result = ops.apply_twice(ops.add_one, 1) + ops.add_one(10)
stats = {
    name: [bool(f.stats.cache_path), sum(f.stats.cache_hits.values())]
    for name, f in (("add_one", ops.add_one), ("apply", ops.apply), ("twice", ops.apply_twice))
}
print(json.dumps({"result": result, "stats": stats}))
"""


def _write_package(folder: Path) -> None:
    package = folder / "kernels_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(textwrap.dedent(KERNELS))


def test_kernels_taking_no_function_load_from_disk_in_the_next_process(tmp_path: Path) -> None:
    _write_package(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(repo)]),
    }

    def run() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert first["result"] == second["result"] == 3 + 11
    # [cached on disk, loaded from there]
    assert first["stats"]["add_one"] == [True, 0]  # compiled and written
    assert second["stats"]["add_one"] == [True, 1]  # read back
    # a function's type cannot be keyed across processes: those are never cached
    for name in ("apply", "twice"):
        assert first["stats"][name] == second["stats"][name] == [False, 0]


@pytest.fixture
def ops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """kernels_pkg.ops imported here, as if from a library pinned at 1.0 (distribution
    kernels-pkg) that the patches were written for."""
    _write_package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(numba_cache._DISTRIBUTIONS, "kernels_pkg", "kernels-pkg")
    monkeypatch.setitem(numba_cache.WRITTEN_FOR, "kernels-pkg", "1.0")
    yield importlib.import_module("kernels_pkg.ops")
    for name in [name for name in sys.modules if name.partition(".")[0] == "kernels_pkg"]:
        del sys.modules[name]


def _notes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == numba_cache.__name__]


def test_on_the_versions_written_for_the_kernels_are_patched(ops, kernel_patches, caplog):
    kernel_patches.installed["kernels-pkg"] = "1.0"
    kernel_patches.without_nogil(ops.add_one)
    with caplog.at_level(logging.WARNING):
        numba_cache.cache_package_kernels("kernels_pkg")
        numba_cache.release_gil(ops.add_one)
    assert kernel_patches.cached == ["add_one"]
    assert ops.add_one.targetoptions["nogil"] is True
    assert _notes(caplog) == []


@pytest.mark.parametrize("other", ["kernels-pkg", "numba"])
def test_on_another_version_the_kernels_are_left_as_shipped_with_a_note(
    ops, kernel_patches, caplog, other
):
    kernel_patches.installed.update({"kernels-pkg": "1.0", other: "0.0.0"})
    kernel_patches.without_nogil(ops.add_one)
    declared = dict(ops.add_one.targetoptions)
    with caplog.at_level(logging.WARNING):
        numba_cache.cache_package_kernels("kernels_pkg")
        numba_cache.release_gil(ops.add_one)
    assert kernel_patches.cached == []
    assert ops.add_one.targetoptions == declared and "nogil" not in declared
    cache_note, gil_note = _notes(caplog)
    assert cache_note.startswith("numba's disk cache for kernels_pkg's kernels is skipped")
    assert gil_note.startswith("releasing the GIL in add_one is skipped")
    for note in (cache_note, gil_note):
        assert note.endswith(f"found {other} 0.0.0")
