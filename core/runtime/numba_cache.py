"""numba's on-disk cache of compiled kernels (UMAP's and NN-descent's), under the project's cache
folder."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import logging
import os
import sys
import textwrap
from pathlib import Path

from core.runtime.cache import cache_dir

_log = logging.getLogger(__name__)

# The versions release_gil and cache_package_kernels were written for and tested with (pinned in
# requirements.txt): they reach into numba's dispatchers and into umap-learn's and pynndescent's
# kernels, so with any other version installed the library is left to behave as it ships.
WRITTEN_FOR = {"numba": "0.68.1", "umap-learn": "0.5.12", "pynndescent": "0.7.0"}
_DISTRIBUTIONS = {"umap": "umap-learn", "pynndescent": "pynndescent"}  # by import name

# numba keys a disk-cache entry by the kernel's signature and bytecode, not by its compile
# options: this names a new folder whenever the options given here change (2: UMAP's epoch
# kernel releases the GIL), so no process reads back an entry compiled with the old ones.
CACHE_GENERATION = 2


def numba_cache_dir() -> Path:
    return cache_dir() / f"numba-{CACHE_GENERATION}"


def use_numba_cache() -> None:
    """Keep numba's compiled kernels under the cache folder, so a new process loads UMAP's and
    NN-descent's kernels rather than compiling them again; numba reads the setting when it is
    first imported, so this comes before importing umap or pynndescent."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))


def release_gil(kernel) -> None:
    """Compile a library's kernel with numba's nogil, so other threads run Python while it
    computes. It takes effect for signatures compiled from now on; the kernel must touch no
    Python object (numba refuses to compile it otherwise). Skipped, with a note in the log,
    unless numba and the kernel's library are the versions in WRITTEN_FOR."""
    package = kernel.py_func.__module__.partition(".")[0]
    if _written_for(package, f"releasing the GIL in {kernel.py_func.__qualname__}"):
        kernel.targetoptions["nogil"] = True


def cache_package_kernels(package: str) -> None:
    """Turn numba's disk cache on for the compiled functions of the imported `package`'s modules
    (pynndescent declares most of its NN-descent kernels without it, so each process would
    compile them afresh), except those that take a function: numba cannot key a function
    argument's type across processes, so each process would miss and add one more entry. A
    function is taken to take one when a parameter has a name that some function of the package
    calls (pynndescent's `dist`, say, which some kernels call and others pass on). numba keys an
    entry by its source file's modification time, so a reinstalled package compiles afresh.
    Skipped, with a note in the log, unless numba and the package are the versions in
    WRITTEN_FOR (for a package WRITTEN_FOR does not name, numba alone)."""
    if not _written_for(package, f"numba's disk cache for {package}'s kernels"):
        return
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


def _written_for(package: str, patch: str) -> bool:
    """Whether numba and the distribution of `package` (an import name) are installed at the
    versions WRITTEN_FOR names; if not, one log record says what was found and what is skipped."""
    needed = ["numba"]
    if package in _DISTRIBUTIONS:
        needed.append(_DISTRIBUTIONS[package])
    found = {name: _installed_version(name) for name in needed}
    others = [f"{name} {found[name]}" for name in needed if found[name] != WRITTEN_FOR[name]]
    if others:
        _log.warning(
            "%s is skipped: written for %s, found %s",
            patch,
            ", ".join(f"{name} {WRITTEN_FOR[name]}" for name in needed),
            ", ".join(others),
        )
    return not others


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


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
