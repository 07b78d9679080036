"""The heavy steps of a ladder and what each starts from: the one description that every executor
schedules (Pipeline.layouts with its map pool, the app's background threads, the Ray cluster).

A size's *view* (kNN lists, graph, communities matched to the next larger size's) and its *map*
(UMAP, aligned to the full-size map) are the steps; everything else is quick."""

from __future__ import annotations

from collections.abc import Collection, Sequence

VIEW, MAP = "view", "map"
Step = tuple[str, int]  # (VIEW or MAP, size)


def ladder_steps(dims: Sequence[int], focus: int | None = None) -> list[Step]:
    """Every step of a ladder (largest size first), most needed first: the full size's view and
    map, the map of the size on screen (`focus`), the views down the ladder, then the remaining
    maps nearest to the focus first."""
    full = dims[0]
    focus = focus if focus in dims else full
    position = dims.index(focus)
    by_nearness = sorted(dims, key=lambda d: abs(dims.index(d) - position))
    steps = [(VIEW, full), (MAP, full), (MAP, focus)]
    steps += [(VIEW, d) for d in dims] + [(MAP, d) for d in by_nearness]
    return list(dict.fromkeys(steps))


def inputs(step: Step, dims: Sequence[int]) -> list[Step]:
    """The steps whose results this one starts from: a view the next larger size's view (its
    community ids are matched to them), a map the full-size map (every map is aligned to it)."""
    kind, dim = step
    position = dims.index(dim)
    if position == 0:
        return []
    return [(VIEW, dims[position - 1])] if kind == VIEW else [(MAP, dims[0])]


def runnable(
    steps: Sequence[Step], dims: Sequence[int], done: Collection[Step], taken: Collection[Step]
) -> Step | None:
    """The first of `steps` that is neither done nor taken and whose inputs are done, or None."""
    for step in steps:
        if step in done or step in taken:
            continue
        if all(needed in done for needed in inputs(step, dims)):
            return step
    return None
