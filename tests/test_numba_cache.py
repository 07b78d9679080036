"""numba's disk cache for a package's kernels: on for those taking no function, and read back by
the next process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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


def test_kernels_taking_no_function_load_from_disk_in_the_next_process(tmp_path: Path) -> None:
    package = tmp_path / "kernels_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(textwrap.dedent(KERNELS))
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
