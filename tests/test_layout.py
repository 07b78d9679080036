"""Tests for core.viz.layout: PCA maps, Procrustes alignment and UMAP maps anchored on full size.

The first UMAP call compiles numba kernels (~30 s once per session); the tests keep UMAP runs
few and small.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy.spatial import procrustes
from scipy.stats import special_ortho_group

from core import pictures
from core.analysis.measures import unit_prefixes
from core.viz import layout
from core.viz.animation_plot import ladder_animation
from core.viz.layout import (
    MIN_UMAP_ROWS,
    align,
    map_rows,
    pca_layout,
    size_layout,
    umap_layout,
)
from core.viz.map_plot import map_figure
from tests.support import ladder_scenes, map_scene, pipeline_of

LADDER = (32, 24, 16)


def _clusters(count: int, per: int, d: int, *, scale: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, d))
    x = np.vstack([c + rng.normal(scale=scale, size=(per, d)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(count), per)


def _pipeline(x: np.ndarray, ladder):
    """The app's pipeline over `x`, whose layouts() are every size's map, largest first."""
    return pipeline_of(x, [f"doc {i}" for i in range(len(x))], ladder=ladder)


def _assert_standardised(coords: np.ndarray) -> None:
    np.testing.assert_allclose(coords.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose((coords**2).sum(axis=1).mean(), 1.0, atol=1e-5)


def _displacement(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a - b) ** 2).sum(axis=1).mean())


@pytest.fixture(scope="module")
def chained():
    x, _ = _clusters(6, 25, 32, scale=0.25)
    return x, _pipeline(x, LADDER).layouts()


def test_pca_layout_is_two_dimensional_and_standardised():
    x, _ = _clusters(3, 20, 10, scale=0.3)
    coords = pca_layout(x)
    assert coords.shape == (60, 2)
    assert coords.dtype == np.float32
    _assert_standardised(coords)


def test_pca_layout_matches_the_svd_components_up_to_sign():
    x, _ = _clusters(4, 50, 24, scale=0.4, seed=3)
    centred = x.astype(np.float64) - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :2] * s[:2]
    expected = (expected - expected.mean(axis=0)) / np.sqrt((expected**2).sum(axis=1).mean())
    coords = pca_layout(x)
    for axis in range(2):
        sign = np.sign(coords[:, axis] @ expected[:, axis])
        np.testing.assert_allclose(coords[:, axis] * sign, expected[:, axis], atol=1e-4)


def test_pca_layout_axes_keep_their_sign_whatever_the_row_order():
    x, _ = _clusters(4, 50, 24, scale=0.4, seed=3)
    order = np.random.default_rng(0).permutation(len(x))
    np.testing.assert_allclose(pca_layout(x[order]), pca_layout(x)[order], atol=1e-5)


def test_pca_layout_first_axis_separates_two_clusters():
    x, labels = _clusters(2, 30, 10, scale=0.1, seed=1)
    first = pca_layout(x)[:, 0]
    assert first[labels == 0].max() < first[labels == 1].min() or (
        first[labels == 1].max() < first[labels == 0].min()
    )


def test_pca_layout_of_degenerate_input_is_all_zero():
    assert np.all(pca_layout(np.ones((5, 4), dtype=np.float32)) == 0.0)
    assert pca_layout(np.ones((1, 4), dtype=np.float32)).shape == (1, 2)


def test_pca_layout_of_one_dimensional_vectors_pads_a_second_axis():
    coords = pca_layout(np.linspace(-1, 1, 7, dtype=np.float32)[:, None])
    assert coords.shape == (7, 2)
    assert np.all(coords[:, 1] == 0.0)
    _assert_standardised(coords)


@pytest.mark.parametrize("reflect", [False, True])
def test_align_recovers_a_known_rotation(reflect):
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(80, 2)) * [3.0, 1.0]
    rotation = special_ortho_group.rvs(2, random_state=3)
    if reflect:
        rotation = rotation @ np.diag([1.0, -1.0])
    moved = 4.0 * reference @ rotation + [10.0, -5.0]
    aligned = align(moved, reference)
    expected = reference - reference.mean(axis=0)
    expected /= np.sqrt((expected**2).sum(axis=1).mean())
    np.testing.assert_allclose(aligned, expected, atol=1e-5)


def test_umap_layout_falls_back_to_pca_for_tiny_inputs():
    x, _ = _clusters(2, 3, 8, scale=0.2)
    assert x.shape[0] < MIN_UMAP_ROWS
    np.testing.assert_array_equal(umap_layout(x), pca_layout(x))


def test_umap_layout_separates_three_clusters():
    x, labels = _clusters(3, 50, 16, scale=0.3, seed=4)
    coords = umap_layout(x)
    assert coords.shape == (150, 2)
    assert np.all(np.isfinite(coords))
    _assert_standardised(coords)
    distances = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    same = labels[:, None] == labels[None]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    assert distances[same & off_diagonal].mean() < 0.25 * distances[~same].mean()


def test_the_fuzzy_graph_kernels_are_kept_in_numba_disk_cache():
    """umap-learn declares them without caching, so every process would compile them."""
    umap_layout(_clusters(3, 50, 16, scale=0.3, seed=4)[0])
    from umap import umap_

    for kernel in (umap_.smooth_knn_dist, umap_.compute_membership_strengths):
        assert kernel.signatures
        assert kernel.stats.cache_path, kernel.py_func.__name__


def test_the_epoch_kernel_runs_without_the_gil():
    """Holding the GIL, a large map's epochs would stall the app's pages while it is made."""
    umap_layout(_clusters(3, 50, 16, scale=0.3, seed=4)[0])
    from umap import layouts

    kernel = layouts._nb_optimize_layout_euclidean_single_epoch
    assert kernel.signatures
    assert kernel.targetoptions.get("nogil") is True
    assert kernel.stats.cache_path


@pytest.mark.parametrize("installed", ["0.5.12", "0.0.0"])
def test_umaps_kernels_are_patched_only_on_the_umap_learn_version_written_for(
    kernel_patches, caplog, installed
):
    from umap import layouts, umap_

    kernel = layouts._nb_optimize_layout_euclidean_single_epoch
    kernel_patches.without_nogil(kernel)
    kernel_patches.installed["umap-learn"] = installed
    with caplog.at_level(logging.WARNING, logger="core.runtime.numba_cache"):
        assert layout._umap.__wrapped__().UMAP is not None
    notes = [record.getMessage() for record in caplog.records]
    if installed == "0.5.12":
        assert kernel.targetoptions["nogil"] is True
        assert umap_.smooth_knn_dist.py_func.__name__ in kernel_patches.cached
        assert notes == []
    else:
        assert "nogil" not in kernel.targetoptions and kernel_patches.cached == []
        assert len(notes) == 2 and all("found umap-learn 0.0.0" in n for n in notes)


def test_every_size_is_mapped_largest_first(chained):
    x, layouts = chained
    assert list(layouts) == list(LADDER)
    assert all(c.shape == (x.shape[0], 2) and np.all(np.isfinite(c)) for c in layouts.values())


def test_maps_resume_with_only_the_missing_sizes_in_any_order(chained):
    x, layouts = chained
    pipe = _pipeline(x, LADDER)
    for dim in LADDER[:2]:
        pipe.adopt_layout(dim, layouts[dim])
    calls = []
    resumed = pipe.layouts(lambda *a: calls.append(a))
    # each size starts from the full-size map alone
    assert calls == [(1.0, f"UMAP map 1/1 done ({LADDER[2]} dims)")]
    np.testing.assert_allclose(resumed[LADDER[2]], layouts[LADDER[2]], atol=1e-5)


def test_anchored_layouts_stay_in_register_unlike_independent_runs():
    """Summed over four corpora: one corpus's ratio ranged 0.19–0.83 with the seed, and moved
    with float32 rounding in the kNN scores (UMAP amplifies the last bit)."""
    pairs = list(zip(LADDER, LADDER[1:], strict=False))
    disparity = {"chained": 0.0, "independent": 0.0}
    moves = {"chained": 0.0, "independent": 0.0}
    for seed in range(4):
        x, _ = _clusters(6, 25, 32, scale=0.25, seed=seed)
        runs = {
            "chained": _pipeline(x, LADDER).layouts(),
            "independent": {dim: umap_layout(unit_prefixes(x, dim)) for dim in LADDER},
        }
        for name, layouts in runs.items():
            disparity[name] += sum(procrustes(layouts[a], layouts[b])[2] for a, b in pairs)
            moves[name] += sum(_displacement(layouts[a], layouts[b]) for a, b in pairs)
    assert disparity["chained"] < 0.6 * disparity["independent"]
    assert moves["chained"] < 0.3 * moves["independent"]


def test_maps_report_progress_for_each_size():
    x, _ = _clusters(2, 4, 16, scale=0.2)
    calls = []
    layouts = _pipeline(x, [16, 8, 8, 4]).layouts(lambda *a: calls.append(a))
    assert list(layouts) == [16, 8, 4]
    assert calls == [
        (1 / 3, "UMAP map 1/3 done (16 dims)"),
        (2 / 3, "UMAP map 2/3 done (8 dims)"),
        (1.0, "UMAP map 3/3 done (4 dims)"),
    ]


def test_maps_above_the_point_limit_place_the_sample_the_figures_draw(monkeypatch):
    monkeypatch.setattr(layout, "MAP_POINT_LIMIT", 60)
    x, labels = _clusters(4, 40, 32, scale=0.2)
    placed = map_rows(len(x))
    assert len(placed) == 60 and len(np.unique(placed)) == 60
    elsewhere = np.setdiff1d(np.arange(len(x)), placed)
    full = size_layout(x, 32)
    small = size_layout(x, 16, full_layout=full)
    for coords in (full, small):
        assert np.isfinite(coords[placed]).all() and np.isnan(coords[elsewhere]).all()
    # the sample's own map, in register with the full size as below the limit
    np.testing.assert_allclose(full[placed], size_layout(x[placed], 32), atol=1e-6)
    # started from the full size's map: nearer it than an unrelated map of the same spread
    # (about 2 for these standardised maps). How near varies with the CPU's floating point;
    # test_anchored_layouts_stay_in_register_unlike_independent_runs measures it on 4 corpora.
    assert _displacement(full[placed], small[placed]) < 1.0

    names = {c: f"topic {c}" for c in range(4)}
    hover = [f"doc {i}" for i in range(len(x))]
    fig = map_figure(map_scene(full, labels, names), hover)
    drawn = np.concatenate([trace.customdata for trace in fig.data])
    assert sorted(drawn.tolist()) == placed.tolist()
    assert "60 of 160 documents" in fig.layout.annotations[0].text
    animation = ladder_animation(
        ladder_scenes({32: full, 16: small}, {32: labels, 16: labels}), hover, limit=25
    )
    assert np.isfinite(animation.data[0].x).all() and len(animation.data[0].x) == 25


def test_full_size_map_runs_fewer_epochs_only_above_the_quick_map_rows(monkeypatch):
    x, _ = _clusters(4, 30, 16, scale=0.3)
    unit = unit_prefixes(x, 16)
    default, quick = umap_layout(unit), umap_layout(unit, n_epochs=layout.WARM_EPOCHS)
    assert not np.allclose(default, quick)
    monkeypatch.setattr(layout, "QUICK_MAP_ROWS", len(x))  # not above: UMAP's own epochs
    np.testing.assert_array_equal(size_layout(x, 16), default)
    monkeypatch.setattr(layout, "QUICK_MAP_ROWS", len(x) - 1)
    np.testing.assert_array_equal(size_layout(x, 16), quick)
    assert layout.epochs_note(len(x) - 1) == ""
    assert f"{layout.WARM_EPOCHS} epochs" in layout.epochs_note(len(x))


def test_maps_shared_with_worker_processes_equal_the_maps_made_here(chained):
    """A seeded map is the same whichever process makes it, so the ladder's maps can be shared
    out between this process and workers (core.viz.map_pool)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from core.analysis.knn import knn
    from core.viz import map_pool

    x, layouts = chained
    full, others = LADDER[0], list(LADDER[1:])

    def lists(dim: int):
        return knn(unit_prefixes(x, dim), layout.UMAP_NEIGHBOURS - 1)

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as worker:
        there = worker.submit(
            map_pool._size_map, x[:, : others[0]], others[0], layouts[full], lists(others[0])
        )
        np.testing.assert_array_equal(there.result(), layouts[others[0]])
    made = {}
    with map_pool.MapPool(1) as pool:
        pool.share(
            x,
            layouts[full],
            lists,
            lambda taken: next((d for d in others if d not in taken), None),
            made.__setitem__,
        )
    assert sorted(made) == sorted(others)
    for dim in others:
        np.testing.assert_array_equal(made[dim], layouts[dim])


def test_the_sketch_maps_a_sample_and_places_the_rest_beside_their_own_cluster(monkeypatch):
    monkeypatch.setattr(layout, "SKETCH_SAMPLE", 80)
    x, labels = _clusters(4, 60, 32, scale=0.2, seed=3)
    sketch = layout.sketch_layout(x, 32)
    assert sketch.shape == (240, 2) and np.isfinite(sketch).all()
    sample = layout.sample_rows(len(x), 80)
    rest = np.setdiff1d(np.arange(len(x)), sample)
    # each placed row's nearest sampled point on the map is of its own cluster
    gaps = ((sketch[rest, None, :] - sketch[None, sample, :]) ** 2).sum(axis=-1)
    nearest = sample[gaps.argmin(axis=1)]
    assert (labels[nearest] == labels[rest]).mean() > 0.95


def test_the_full_map_starts_from_the_sketch_above_sketch_from_and_keeps_its_register(
    monkeypatch,
):
    x, _ = _clusters(4, 60, 32, scale=0.25, seed=4)
    monkeypatch.setattr(layout, "SKETCH_SAMPLE", 80)
    monkeypatch.setattr(layout, "SKETCH_FROM", len(x))
    assert not layout.needs_sketch(len(x))
    pipe = _pipeline(x, LADDER)
    assert pipe.sketch() is None
    monkeypatch.setattr(layout, "SKETCH_FROM", len(x) - 1)
    assert layout.needs_sketch(len(x))
    pipe = _pipeline(x, LADDER)
    sketch = pipe.sketch()
    coords, is_umap = pipe.map_coords(pipe.full)
    assert not is_umap
    np.testing.assert_array_equal(coords, sketch)  # the sketch is the preview until the map
    assert "sketch" in pictures.map_title(pipe, pipe.full, is_umap)
    assert pictures.map_kind(pipe, pipe.full) == "sketch"
    assert pictures.map_kind(pipe, LADDER[1]) == "pca"  # only the full size has a sketch
    full = pipe.layout(pipe.full)
    assert pictures.map_kind(pipe, pipe.full) == "umap"
    np.testing.assert_array_equal(pipe.map_coords(pipe.full)[0], full)
    # refined from the sketch: nearer it than an unrelated map (about 2, see above)
    assert _displacement(layout.align(sketch, full), full) < 1.0
    np.testing.assert_array_equal(
        full, size_layout(x, 32, full_layout=sketch, neighbours=pipe.neighbours(32, "cosine"))
    )
