"""The Ray path (`--ray local`) gives exactly the single-process results: embeddings, neighbour
lists, communities, maps and the project file the CLI writes."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analysis.ladder import GraphSettings
from core.embed.models import WORDLLAMA, _encode_here
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.project import read_project
from core.runtime.store import ResultStore

ray = pytest.importorskip("ray")
distributed = pytest.importorskip("core.schedule.distributed")

ROOT = Path(__file__).resolve().parents[1]
print_before_ray = builtins.print
LADDER = (256, 64, 16)


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
    measured = ["latency_ms"]  # a timing, different in every run
    assert there.fidelity().drop(columns=measured).equals(here.fidelity().drop(columns=measured))


def test_after_ray_work_print_is_still_the_builtin(local_ray):
    # Ray Data's progress bars must leave print alone: numba compiles kernels that print
    # (NN-descent's) in this process later, and fails on a replaced print
    distributed.ray_encoder(load_demo_corpus().texts[:40], WORDLLAMA, None, batch=16)
    assert builtins.print is print_before_ray


def test_cli_with_ray_local_writes_the_project_of_a_local_run(tmp_path):
    folder = tmp_path / "demo"
    command = [sys.executable, "-m", "core", "demo", "--out", str(tmp_path / "out")]
    command += ["--ladder", "256,64,16", "--k", "8", "--resolution", "1.5", "--formats", "none"]
    command += ["--ray", "local", "--project", str(folder)]
    env = {**os.environ, "MGE_CACHE_DIR": str(tmp_path / "cache")}  # nothing cached: Ray embeds
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    written = read_project(folder).pipeline()
    here = _pipeline("cosine")
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
