"""The demo results shipped in core/data/demo_project: what the code computes now, found by the
app's first pipeline without computing anything, and ignored when they cannot be used."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import core.pipeline as pipeline_module
from core import demo
from core.runtime.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fresh():
    """The demo computed now, every size's view and map."""
    pipe = demo.demo_pipeline()
    pipe.views()
    pipe.layouts()
    return pipe


def _kept_neighbours(coords: np.ndarray, indices: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours on a 2-D map that are among its k
    nearest neighbours in the embedding (`indices`): how well the map keeps the size's
    neighbourhoods (about 0.03 for a shuffled map of the demo)."""
    distances = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    nearest = np.argsort(distances, axis=1)[:, 1 : k + 1]
    return float(
        np.mean([len(set(a) & set(b[:k])) / k for a, b in zip(nearest, indices, strict=True)])
    )


def test_shipped_demo_matches_what_the_code_computes(fresh):
    store = ResultStore()
    assert demo.seed(store)
    shipped = demo.demo_pipeline(store)
    assert shipped.dims == fresh.dims
    np.testing.assert_allclose(shipped.vectors, fresh.vectors, atol=1e-6)
    for dim in fresh.dims:
        ours, theirs = shipped.ready_views()[dim], fresh.view(dim)
        np.testing.assert_array_equal(ours.communities, theirs.communities)
        np.testing.assert_array_equal(ours.neighbours.indices, theirs.neighbours.indices)
        assert ours.keywords == theirs.keywords
        # maps: UMAP's floating point differs between CPUs, so one seed gives another layout on
        # another machine; the shipped map must keep this size's neighbourhoods as well as one
        # computed here
        kept = _kept_neighbours(shipped.stored_layouts()[dim], theirs.neighbours.indices)
        assert kept > _kept_neighbours(fresh.layout(dim), theirs.neighbours.indices) - 0.05
    rebuild = "rebuild with `python -m core.demo`"
    assert len(shipped.stored_layouts()) == len(fresh.dims), rebuild


def test_the_apps_first_pipeline_finds_every_result_without_computing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("computed although the demo results were shipped")

    for name in ("embed", "knn", "compute_view", "size_layout", "order_dimensions"):
        monkeypatch.setattr(pipeline_module, name, refuse)
    store = ResultStore()
    assert demo.seed(store)
    pipe = demo.demo_pipeline(store)
    assert set(pipe.views()) == set(pipe.dims)
    assert set(pipe.layouts()) == set(pipe.dims)
    assert pipe.raw().shape == (len(pipe.corpus), pipe.full)
    assert pipe.map_coords(pipe.full)[1]  # the UMAP map, not the preview


def test_unusable_demo_results_are_ignored(tmp_path):
    assert not demo.seed(ResultStore(), tmp_path / "missing")
    broken = tmp_path / "broken"
    shutil.copytree(demo.DEMO_PROJECT, broken)
    (broken / "maps.parquet").write_bytes(b"not parquet")
    store = ResultStore()
    assert not demo.seed(store, broken)
    assert store.get(demo.demo_pipeline(store).keys.raw()) is None


def test_the_first_map_imports_none_of_the_heavy_libraries():
    """What the Explore page runs for the demo's first map: the app's modules, the seeded store,
    the views and the map; scikit-learn, SciPy's statistics, networkx, numba, UMAP and torch
    load only when something needs them."""
    script = """
import sys
import pages.state, pages.widgets, pages.resources, pages.map_view
import core.pictures, core.io.export, core.viz.map_plot, core.viz.network
from core import demo, pictures
from core.runtime.store import ResultStore
from core.viz.map_plot import map_figure
store = ResultStore()
assert demo.seed(store)
pipe = demo.demo_pipeline(store)
map_figure(pictures.map_scene(pipe, pipe.full), pictures.hovers(pipe))
heavy = ("sklearn", "scipy.stats", "networkx", "numba", "umap", "pynndescent", "torch",
         "sentence_transformers", "igraph")
print(sorted(m for m in heavy if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
