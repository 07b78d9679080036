"""The Ray path gives exactly the single-process results: embeddings, neighbour lists,
communities, maps and the files the CLI writes, with `--ray local` and with `--ray auto` on a
two-node cluster started by `ray start`."""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analysis.fidelity import LATENCY_COLUMNS
from core.analysis.ladder import GraphSettings
from core.embed.models import WORDLLAMA, _encode_here
from core.io.corpus import load_demo_corpus
from core.io.export import export_name
from core.pipeline import Choice, Pipeline
from core.project import read_project
from core.runtime.numba_cache import numba_cache_dir
from core.runtime.store import ResultStore

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")  # a dependency of Ray
distributed = pytest.importorskip("core.schedule.distributed")

ROOT = Path(__file__).resolve().parents[1]
print_before_ray = builtins.print
LADDER = (256, 64, 16)
CLI_SETTINGS = ["--ladder", "256,64,16", "--k", "8", "--resolution", "1.5", "--formats", "none"]
RAY_CLI = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def single_process() -> Pipeline:
    """The cosine pipeline of the CLI tests' settings, computed in this process without Ray."""
    return _pipeline("cosine")


@pytest.fixture(scope="module")
def local_ray():
    distributed.start_ray("local")
    yield
    distributed.stop_ray()


def _pipeline(measure: str, ordering: str = "native") -> Pipeline:
    return Pipeline(
        Choice(load_demo_corpus(), WORDLLAMA, ordering),
        settings=GraphSettings(k=8, measure=measure, resolution=1.5),
        ladder=LADDER,
        store=ResultStore(),
    )


def test_ray_data_embeds_every_row_in_corpus_order(local_ray):
    texts = load_demo_corpus().texts
    # three Ray Data blocks of uneven size, so rows come back out of order
    vectors = distributed.ray_encoder(texts, WORDLLAMA, None, batch=150)
    assert vectors.shape == (len(texts), 256)
    np.testing.assert_allclose(vectors, _encode_here(texts, WORDLLAMA), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("measure", "ordering"), [("cosine", "native"), ("dot", "pca")])
def test_ray_precompute_equals_the_single_process_run(local_ray, measure, ordering):
    here, there = _pipeline(measure, ordering), _pipeline(measure, ordering)
    shares = []
    distributed.ray_precompute(there, lambda share, text: shares.append(share))
    assert shares and max(shares) == 1.0
    for dim in there.dims:
        np.testing.assert_array_equal(there.neighbours(dim).indices, here.neighbours(dim).indices)
        np.testing.assert_array_equal(there.views()[dim].communities, here.views()[dim].communities)
        np.testing.assert_allclose(there.layout(dim), here.layout(dim), atol=1e-5)
    np.testing.assert_allclose(there.vectors, here.vectors, atol=1e-6)
    measured = list(LATENCY_COLUMNS.values())  # timings, different in every run
    assert there.fidelity().drop(columns=measured).equals(here.fidelity().drop(columns=measured))


def test_after_ray_work_print_is_still_the_builtin(local_ray):
    # Ray Data's progress bars must leave print alone: numba compiles kernels that print
    # (NN-descent's) in this process later, and fails on a replaced print
    distributed.ray_encoder(load_demo_corpus().texts[:40], WORDLLAMA, None, batch=16)
    assert builtins.print is print_before_ray


def test_cli_with_ray_local_writes_the_project_of_a_local_run(tmp_path, single_process):
    folder = tmp_path / "demo"
    command = [sys.executable, "-m", "core", "demo", "--out", str(tmp_path / "out"), *CLI_SETTINGS]
    command += ["--ray", "local", "--project", str(folder)]
    env = {**os.environ, "MGE_CACHE_DIR": str(tmp_path / "cache")}  # nothing cached: Ray embeds
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    written = read_project(folder).pipeline()
    here = single_process
    assert written.dims == here.dims
    for dim in here.dims:
        np.testing.assert_array_equal(
            written.views()[dim].communities, here.views()[dim].communities
        )
        np.testing.assert_array_equal(written.neighbours(dim).indices, here.neighbours(dim).indices)
    np.testing.assert_allclose(written.vectors, here.vectors, atol=1e-6)


def test_without_the_flag_ray_is_never_imported():
    check = (
        "import sys, core.cli, core.pipeline, pages.state;"
        "sys.exit('ray' in sys.modules or 'core.schedule.distributed' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", check], cwd=ROOT, timeout=120).returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ray_start(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(RAY_CLI), "start", *args],
        cwd=env["RAY_TMPDIR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def _processes_under(root: Path) -> list[psutil.Process]:
    """The live processes whose command line names `root` (a cluster's daemons, which name its
    temp folder) and their descendants (workers and agents, renamed ray::...)."""
    found = {}
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and str(root) in " ".join(process.cmdline()):
                found[process.pid] = process
                found.update((child.pid, child) for child in process.children(recursive=True))
        except psutil.Error:  # gone, or a zombie
            pass
    return [p for p in found.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _stop_cluster(root: Path) -> None:
    """`ray stop --force` for the cluster under `root` only: `ray stop` kills every Ray process on
    the machine, so this kills this cluster's processes by pid, and checks that none is left."""
    processes = _processes_under(root)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=10)
    left = [" ".join(p.cmdline())[:120] for p in _processes_under(root)]
    assert not left, left


@pytest.fixture(scope="module")
def two_node_cluster(tmp_path_factory):
    """A head and a second node joined to it, one CPU each, started as the README says (`ray
    start --head`, then `ray start --address HEAD`), every session, socket, log and unpacked
    package under this test's temp folder. Token authentication is on, as Ray turns it on for a
    head started where ~/.ray/auth_token exists, with a token of the test's own. Yields the
    environment of a driver: RAY_ADDRESS names the head."""
    root = tmp_path_factory.mktemp("ray")  # short: Ray's socket paths must fit in 107 bytes
    # A copy of the suite's compiled kernels: numba files the kernels of the shipped core/ under
    # the folder each session unpacks it to, which would leave a folder per run in the suite's.
    if numba_cache_dir().is_dir():
        shutil.copytree(numba_cache_dir(), root / "numba")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_") and k != "PYTHONPATH"}
    env |= {
        "RAY_TMPDIR": str(root),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "MGE_CACHE_DIR": str(root / "cache"),
        "NUMBA_CACHE_DIR": str(root / "numba"),
    }
    node = ["--num-cpus", "1", "--disable-usage-stats", "--object-store-memory", str(2**28)]
    try:
        _ray_start(
            env,
            *("--head", "--port", "0", "--include-dashboard=false"),
            *("--dashboard-port", str(_free_port()), "--temp-dir", str(root / "head"), *node),
        )
        address = (root / "head" / "ray_current_cluster").read_text().strip()
        _ray_start(env, "--address", address, "--temp-dir", str(root / "node"), *node)
        yield {**env, "RAY_ADDRESS": address}
    finally:
        _stop_cluster(root)


@pytest.mark.ray_cluster
def test_cli_with_ray_auto_on_two_nodes_writes_the_results_of_a_local_run(
    two_node_cluster, single_process, tmp_path
):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "core", "demo", "--ray", "auto", "--out", str(out)]
    # The nodes run without PYTHONPATH and the driver's folder (which Ray puts on the workers'
    # path) holds no core/: the workers can import the package only from the job's runtime_env.
    env = {**two_node_cluster, "PYTHONPATH": str(ROOT), "MGE_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        command + CLI_SETTINGS, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]

    def written(what: str) -> dict:
        name = export_name(load_demo_corpus().name, WORDLLAMA.key, "native", what, ext="json")
        return json.loads((out / name).read_text())

    measured = list(LATENCY_COLUMNS.values())  # timings, different in every run
    pd.testing.assert_frame_equal(
        pd.DataFrame(written("fidelity")["table"]).drop(columns=measured),
        single_process.fidelity().drop(columns=measured).reset_index(drop=True),
        check_dtype=False,
        check_exact=True,
    )
    lineage = written("lineage")
    assert lineage["dims"] == list(single_process.dims)
    for dim in single_process.dims:
        assert lineage["communities"][str(dim)] == single_process.views()[dim].communities.tolist()
    # both nodes ran the job's work, each from the package the driver shipped
    root = Path(two_node_cluster["RAY_TMPDIR"])
    for node in ("head", "node"):
        shipped = "session_*/runtime_resources/py_modules_files/*/core/schedule/distributed.py"
        assert list((root / node).glob(shipped)), f"no shipped core/ on the {node}"


@pytest.mark.ray_cluster
def test_ray_local_starts_its_own_instance_beside_a_running_cluster(two_node_cluster):
    check = (
        "import ray; from core.schedule.distributed import start_ray;"
        "start_ray('local'); print(len(ray.nodes()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env=two_node_cluster,  # RAY_ADDRESS names the cluster
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "1"
