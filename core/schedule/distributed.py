"""The precompute on a Ray cluster (`python -m core … --ray ADDRESS`, or `--ray local`).

Embedding runs as a Ray Data `map_batches` over document batches on a pool of actors, each
holding one model; each size's kNN lists, graph and communities are independent Ray tasks; the
maps follow, the full size first and every other size in parallel from it (each aligned to it,
as in the local path). Results land in the Pipeline's store under the same keys, so the rest of
the run (community matching, keywords, fidelity, lineage, files) is the local code, and the
numbers equal a single-process run with the same seed. Ray is imported only here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.analysis.knn import Neighbours, knn
from core.analysis.ladder import GraphSettings, Partition, size_partition
from core.analysis.measures import prefix_points
from core.embed.models import ModelSpec, Progress, encode, load_model
from core.pipeline import Pipeline
from core.runtime.errors import ExplorerError
from core.runtime.progress import silent
from core.schedule.steps import MAP, ladder_steps, runnable
from core.viz.layout import size_layout

EMBED_BATCH = 1_024  # documents per Ray Data batch


def start_ray(address: str) -> None:
    """Connect to the Ray cluster at `address`, or start Ray on this machine's cores for
    "local" (a new instance even when RAY_ADDRESS is set or `ray start` left a cluster running
    here, which ray.init without an address would join); a clear error when no cluster answers.
    Ray Data's progress bars would replace builtins.print in this process, after which numba can
    no longer compile kernels that print (NN-descent's: "Untyped global name 'print'"), so that
    patch is turned off."""
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")
    import ray

    if ray.is_initialized():
        return
    try:
        if address == "local":
            ray.init(
                address="local",
                num_cpus=os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
            )
        else:  # the cluster's workers get this package; its requirements must be installed there
            code = {"py_modules": [str(Path(__file__).resolve().parents[1])]}  # core/
            ray.init(address=address, runtime_env=code, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError, ray.exceptions.AuthenticationError) as error:
        raise ExplorerError(
            f"Could not connect to the Ray cluster at {address!r} ({str(error)[:200]}). Start "
            "one with `ray start --head` or pass --ray local. A cluster with token "
            "authentication (Ray's default for a head started where ~/.ray/auth_token exists) "
            "also needs RAY_AUTH_MODE=token here, with its token in ~/.ray/auth_token or "
            "RAY_AUTH_TOKEN."
        ) from None


def stop_ray() -> None:
    import ray

    ray.shutdown()


class _Embedder:
    """A Ray Data actor: one model, loaded once, encoding the batches it is given."""

    def __init__(self, spec: ModelSpec):
        import torch

        torch.set_num_threads(1)  # one core per actor; the pool spreads over the cluster
        self.spec = spec
        self.model = load_model(spec)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = encode(self.model, [str(t) for t in batch["text"]], self.spec)
        return {"row": batch["row"], "vector": vectors}


def ray_encoder(
    texts: Sequence[str], spec: ModelSpec, progress: Progress | None, *, batch: int = EMBED_BATCH
) -> np.ndarray:
    """Every text embedded by Ray Data map_batches (`batch` documents at a time) over a pool of
    one actor per cluster CPU, but no more actors than batches (each loads the model), rows put
    back in corpus order (an Encoder)."""
    import pyarrow as pa
    import ray

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # our progress bar says enough
    ray.data.DataContext.get_current().enable_progress_bars = False
    n = len(texts)
    table = pa.table({"row": np.arange(n, dtype=np.int64), "text": list(texts)})
    # blocks made here, not by a Ray task: the actors may hold every CPU, and a task would wait
    blocks = [table.slice(start, batch) for start in range(0, n, batch)]
    actors = max(1, min(len(blocks), int(ray.cluster_resources().get("CPU", 1))))
    dataset = ray.data.from_arrow(blocks)
    encoded = dataset.map_batches(
        _Embedder,
        fn_constructor_args=(spec,),
        batch_size=batch,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
    )
    vectors = None
    done = 0
    for block in encoded.iter_batches(batch_format="numpy", batch_size=None):
        part = np.asarray(block["vector"], dtype=np.float32)
        if vectors is None:
            vectors = np.empty((n, part.shape[1]), np.float32)
        vectors[block["row"]] = part
        done += len(part)
        if progress:
            progress(done, n)
    if done != n:
        raise ExplorerError(f"The Ray cluster returned {done:,} of {n:,} embeddings.")
    return vectors


def _size_structure(
    vectors: np.ndarray, dim: int, list_k: int, settings: GraphSettings
) -> tuple[Neighbours, Partition]:
    """A Ray task: one size's kNN lists under the settings' measure, graph and communities."""
    lists = knn(prefix_points(vectors, dim, settings.measure), list_k, settings.measure)
    return lists, size_partition(lists, settings)


def _cosine_lists(vectors: np.ndarray, dim: int, list_k: int) -> Neighbours:
    """A Ray task: one size's cosine lists, which the maps use whatever the graph's measure."""
    return knn(prefix_points(vectors, dim), list_k)


def _layout(vectors, dim, full_layout, lists) -> np.ndarray:
    """A Ray task: one size's map (see core.viz.layout.size_layout)."""
    return size_layout(vectors, dim, full_layout=full_layout, neighbours=lists)


def ray_precompute(pipe: Pipeline, progress=None) -> None:
    """Everything heavy for `pipe` on the connected Ray cluster, results adopted into its store:
    embeddings, then per size kNN + graph + communities in parallel, then the maps."""
    import ray

    say = progress or silent
    pipe.encoder = ray_encoder
    pipe.ordered(say)
    dims, settings = pipe.dims, pipe.settings
    vectors = ray.put(pipe.vectors)
    size_task = ray.remote(_size_structure)
    pending = {size_task.remote(vectors, d, pipe.list_k(pipe.measure), settings): d for d in dims}
    cosine = {}
    if pipe.measure != "cosine":
        lists_task = ray.remote(_cosine_lists)
        cosine = {d: lists_task.remote(vectors, d, pipe.list_k("cosine")) for d in dims}
    for step in range(len(dims)):
        ready, _ = ray.wait(list(pending), num_returns=1)
        dim = pending.pop(ready[0])
        lists, partition = ray.get(ready[0])
        pipe.adopt_neighbours(dim, pipe.measure, lists)
        pipe.adopt_partition(dim, partition)
        say((step + 1) / len(dims), f"Graphs and communities on Ray: {step + 1}/{len(dims)}")
    for dim, ref in cosine.items():
        pipe.adopt_neighbours(dim, "cosine", ray.get(ref))
    pipe.views(say)

    layout_task = ray.remote(_layout)
    maps = [step for step in ladder_steps(dims) if step[0] == MAP]
    done = pipe.done_steps()
    missing, made = sum(step not in done for step in maps), 0
    full_ref = ray.put(pipe.layout(pipe.full)) if (MAP, pipe.full) in done else None
    pending: dict = {}  # Ray reference → step
    while True:  # submit every map whose input (the full-size map) is made, collect one
        while (step := runnable(maps, dims, done, set(pending.values()))) is not None:
            dim = step[1]
            start = None if dim == pipe.full else full_ref
            pending[layout_task.remote(vectors, dim, start, pipe.neighbours(dim, "cosine"))] = step
        if not pending:
            break
        ready, _ = ray.wait(list(pending), num_returns=1)
        step = pending.pop(ready[0])
        coords = ray.get(ready[0])
        pipe.adopt_layout(step[1], coords)
        done.add(step)
        if step == (MAP, pipe.full):
            full_ref = ray.put(coords)
        made += 1
        say(made / max(1, missing), f"UMAP maps on Ray: {made}/{missing}")
