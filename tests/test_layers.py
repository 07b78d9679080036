"""core/ is layered: a module imports only from its own layer group or lower ones, there is no
import cycle, nothing in core/ imports Streamlit or the app's pages, and every zip is read
through the one archive reader."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module belongs to the longest prefix listed here.
LAYERS = {
    "core.runtime": 0,  # errors, limits, keys, store, memory: used everywhere
    "core.schedule.steps": 0,  # the step description, imports nothing
    "core.analysis": 1,  # arrays in, numbers out
    "core.embed": 2,
    "core.viz": 2,
    "core.io": 3,  # reading what users bring, writing exports
    "core.pipeline": 4,
    "core.pictures": 5,
    "core.project": 5,  # the package: manifest, writing, unzip, readers per table kind
    "core.schedule": 6,  # the executors
    "core.demo": 6,
    "core.outputs": 6,  # the files a CLI run writes
    "core.cli": 7,
    "core.__main__": 8,
}


def _group(module: str) -> str:
    return max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "core").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every core module imported anywhere in the file (functions' lazy imports too)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_every_core_module_has_a_layer():
    assert all(_group(name) for name in _modules() if name != "core")


def _violations(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in graph.items():
        for target in targets - {"core"}:
            if name == "core":
                continue
            same = _group(target) == _group(name) or _group(target).startswith(_group(name))
            if not same and LAYERS[_group(target)] >= LAYERS[_group(name)]:
                wrong.append(f"{name} imports {target}")
    return wrong


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_module_imports_a_higher_layer():
    assert _violations(_graph()) == []


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_the_checks_see_a_violation_and_a_cycle():
    assert _violations({"core.analysis.lineage": {"core.io.export"}}) == [
        "core.analysis.lineage imports core.io.export"
    ]
    assert _violations({"core.embed.models": {"core.viz.map_plot"}})  # same layer, other package
    assert _violations({"core.io.export": {"core.analysis.graph"}}) == []
    assert _cycles({"core.io.a": {"core.io.b"}, "core.io.b": {"core.io.a"}})
    assert "core.analysis.knn" in _graph()["core.pipeline"]  # imports are seen at all


def test_core_never_imports_streamlit_or_pages():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path}: {n}" for n in names if n.split(".")[0] in ("streamlit", "pages")
            ]
    assert offenders == []


def _zip_reads(tree: ast.AST) -> int:
    """Calls of zipfile.ZipFile that open an archive for reading (no mode, or "r")."""
    reads = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("zipfile.ZipFile", "ZipFile"):
            modes = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "mode")]
            reads += not modes or any(ast.literal_eval(m) == "r" for m in modes)
    return reads


def test_every_zip_is_read_through_the_archive_reader():
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "core").rglob("*.py")
        if _zip_reads(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert readers == ["core/io/archive.py"]
    assert not _zip_reads(ast.parse('zipfile.ZipFile(buffer, "w")'))  # writing is not reading
