"""The kernel warm-up: after it, a map and an exact or NN-descent kNN compile nothing."""

from __future__ import annotations

import threading

import numpy as np
from numba.core import event

from core.analysis import brute_force, knn
from core.schedule import warmup
from core.viz.layout import size_layout


def test_after_the_warm_up_maps_and_knn_compile_nothing() -> None:
    warmup.warm_kernels()
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)  # other sizes than the warm-up's
    points = rng.normal(size=(500, 16)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    with event.install_recorder("numba:compile") as compiled:
        full = size_layout(vectors, 32)
        size_layout(vectors, 16, full_layout=full)
        found, _ = knn._approximate_knn(points, 10, "cosine")
        exact = brute_force.search(points, np.arange(500), 10, "cosine")
    assert found.indices.shape == exact[0].shape == (500, 10)
    names = {e.data["dispatcher"].py_func.__qualname__ for _, e in compiled.buffer}
    assert names == set()


def test_nn_descent_warms_up_on_its_own_daemon_thread(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(knn, "warm_up", lambda measure: seen.append(threading.current_thread()))
    thread = warmup.warm_nn_descent_in_background()
    thread.join(timeout=30)
    assert seen == [thread] and thread.daemon and thread is not threading.main_thread()
