"""Compile numba's kernels before they are needed. `python -m core.schedule.warmup` compiles
them into numba's disk cache (the README's set-up command runs it, so a new install's first map
loads them rather than compiling them); the app's map worker (core.schedule.map_worker) runs the
same warm-up in its own process when the server starts. NN-descent's kernels that take the
distance function (the kNN above core.analysis.knn.EXACT_KNN_LIMIT documents) compile anew in
every process: warm_nn_descent_in_background compiles them in the server's process once a corpus
that needs them is on its way. import_view_libraries imports what a corpus's views need."""

from __future__ import annotations

import threading


def warm_kernels(measure: str = "cosine") -> None:
    """Every kernel numba can keep on disk: UMAP's (warm_map_kernels), exact search's (corpora
    above core.analysis.knn.NUMPY_EXACT_ROWS documents) and NN-descent's (those that take no
    function; the others are compiled here too, in vain for other processes)."""
    from core.analysis import brute_force, knn

    warm_map_kernels()
    brute_force.warm_up()
    knn.warm_up(measure)


def warm_map_kernels() -> None:
    """UMAP's kernels, for a full-size map and one started from it (the map worker's warm-up:
    it needs no others, and a map asked for meanwhile waits for it)."""
    from core.viz import layout

    layout.warm_up()


def import_view_libraries() -> None:
    """Import what a corpus's views and its instant PCA map use (igraph, scikit-learn's
    vectoriser and PCA, SciPy's sparse matrices and assignment): a second or more, which a
    first corpus would otherwise wait for. Imports only, nothing compiled."""
    import igraph  # noqa: F401
    import scipy.optimize  # noqa: F401
    import scipy.sparse  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401


def warm_nn_descent_in_background(measure: str = "cosine") -> threading.Thread:
    """Compile NN-descent's kernels for `measure` in this process, on a daemon thread."""
    from core.analysis import knn

    thread = threading.Thread(
        target=knn.warm_up, args=(measure,), daemon=True, name="mge-warm-nn-descent"
    )
    thread.start()
    return thread


if __name__ == "__main__":
    warm_kernels()
