"""The app's map worker (core.schedule.map_worker): maps made in its own process are the maps
made here, and a map whose process died is still made."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import psutil
import pytest

from core.analysis.knn import knn
from core.analysis.measures import unit_prefixes
from core.schedule.map_worker import MapWorker
from core.viz.layout import size_layout

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def worker():
    made = MapWorker(1)
    yield made
    made.shutdown()


def _clustered(n: int = 120, d: int = 16) -> np.ndarray:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, d)) * 3
    return (centres[np.arange(n) % 4] + rng.normal(size=(n, d))).astype(np.float32)


def test_a_map_made_on_the_worker_is_the_map_made_here(worker):
    vectors = _clustered()
    lists = {dim: knn(unit_prefixes(vectors, dim), 14) for dim in (16, 8)}
    full = worker.layout(vectors, 16, None, lists[16])
    np.testing.assert_array_equal(full, size_layout(vectors, 16, neighbours=lists[16]))
    smaller = worker.layout(vectors, 8, full, lists[8])
    here = size_layout(vectors, 8, full_layout=full, neighbours=lists[8])
    np.testing.assert_array_equal(smaller, here)


def test_a_map_whose_worker_died_is_made_here_and_the_worker_replaced(worker):
    vectors = _clustered()
    lists = knn(unit_prefixes(vectors, 16), 14)
    dead = worker._processes[0]
    with pytest.raises(BrokenProcessPool):
        dead.pool.submit(os._exit, 1).result()
    made = worker.layout(vectors, 16, None, lists)
    np.testing.assert_array_equal(made, size_layout(vectors, 16, neighbours=lists))
    assert worker._processes[0] is not dead


def test_a_worker_ends_when_the_server_that_started_it_is_killed():
    """The server stopped by a signal leaves no map worker behind."""
    script = (
        "from core.schedule.map_worker import MapWorker\n"
        "import time\n"
        "worker = MapWorker(1)\n"
        "worker._processes[0].warm.result()\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert server.stdout.readline().strip() == b"ready"
        (child,) = [
            p
            for p in psutil.Process(server.pid).children()
            if "spawn_main" in " ".join(p.cmdline())
        ]
        server.kill()
        server.wait()
        child.wait(timeout=30)  # psutil.TimeoutExpired if it outlives the server
    finally:
        server.kill()
