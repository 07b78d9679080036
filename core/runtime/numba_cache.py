"""numba's on-disk cache of compiled kernels (UMAP's and NN-descent's), under the project's cache
folder."""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
from pathlib import Path

from core.runtime.cache import cache_dir

# numba keys a disk-cache entry by the kernel's signature and bytecode, not by its compile
# options: this names a new folder whenever the options given here change (2: UMAP's epoch
# kernel releases the GIL), so no process reads back an entry compiled with the old ones.
CACHE_GENERATION = 2


def numba_cache_dir() -> Path:
    return cache_dir() / f"numba-{CACHE_GENERATION}"


def use_numba_cache() -> None:
    """Keep numba's compiled kernels under the cache folder; numba reads the setting when it is
    first imported, so this comes before importing umap or pynndescent. A cached UMAP cut
    `import umap` from ~16 s to ~2 s."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))


def release_gil(kernel) -> None:
    """Compile a library's kernel with numba's nogil, so other threads run Python while it
    computes. It takes effect for signatures compiled from now on; the kernel must touch no
    Python object (numba refuses to compile it otherwise)."""
    kernel.targetoptions["nogil"] = True


def cache_package_kernels(package: str) -> None:
    """Turn numba's disk cache on for the compiled functions of the imported `package`'s modules
    (pynndescent declares most of its NN-descent kernels without it, so each process compiled
    them afresh), except those that take a function: numba cannot key a function argument's type
    across processes, so each process would miss and add one more entry. A function is taken to
    take one when a parameter has a name that some function of the package calls (pynndescent's
    `dist`, say, which some kernels call and others pass on). numba keys an entry by its source
    file's modification time, so a reinstalled package compiles afresh."""
    from numba.core.registry import CPUDispatcher

    def ours(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    kernels = {
        id(value): value
        for name, module in list(sys.modules.items())
        if ours(name)
        for value in list(vars(module).values())
        if isinstance(value, CPUDispatcher) and ours(value.py_func.__module__)
    }.values()
    parameters = {id(kernel): _parameters(kernel.py_func) for kernel in kernels}
    called = set().union(*(found[1] for found in parameters.values() if found))
    for kernel in kernels:
        found = parameters[id(kernel)]
        if found and not found[0] & called:
            kernel.enable_caching()


def _parameters(function) -> tuple[set[str], set[str]] | None:
    """A function's parameter names and those of them its body calls (None: source unknown)."""
    try:
        definition = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    except (OSError, TypeError, SyntaxError):
        return None
    if not isinstance(definition, ast.FunctionDef):
        return None
    arguments = definition.args
    names = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
    calls = {
        node.func.id
        for node in ast.walk(definition)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return names, names & calls
