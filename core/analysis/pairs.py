"""Two documents (or two typed texts) across sizes: their similarity under each measure and
where each stands in the other's neighbour list.

Every measure is computed, not only the one the graphs use: the point of comparing a pair is
to see where the measures part, and one pass over the corpus per size and measure is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.analysis.measures import MEASURES, prefix_points, ranks_alike, scores, shown_values
from core.runtime.errors import ExplorerError


def compare_pair(vectors: np.ndarray, dims: Sequence[int], a: int, b: int) -> pd.DataFrame:
    """Rows `a` and `b` of `vectors` (ordered, at the model's scale) at every size of `dims`.

    One row per (dim, measure), largest size first: `value` (similarity, or distance for
    euclidean), `rank_b_in_a` and `rank_a_in_b` (1 = nearest; 1 + the number of other rows
    strictly closer, so a tie never pushes the pair down) and `alike` (every prefix has the same
    length at that size, so the three measures rank every list alike).
    """
    if a == b:
        raise ExplorerError("Pick two different documents.")
    records = []
    for dim in sorted(dims, reverse=True):
        alike = ranks_alike(vectors, dim)
        for measure in MEASURES:
            points = prefix_points(vectors, dim, measure)
            found = scores(points[[a, b]], points, measure)
            found[0, a] = found[1, b] = -np.inf  # a row is not its own neighbour
            pair = found[0, b]
            records.append(
                {
                    "dim": dim,
                    "measure": measure,
                    "value": float(shown_values(pair, measure)),
                    "rank_b_in_a": 1 + int((found[0] > pair).sum()),
                    "rank_a_in_b": 1 + int((found[1] > found[1, a]).sum()),
                    "alike": alike,
                }
            )
    return pd.DataFrame(records)


def compare_typed(vectors: np.ndarray, dims: Sequence[int], typed: np.ndarray) -> pd.DataFrame:
    """compare_pair for two typed texts (`typed`: 2 rows in the corpus's ordering): their ranks
    are the ones each would take in the other's list if both were added to the corpus."""
    stacked = np.vstack([vectors, np.asarray(typed, dtype=vectors.dtype)])
    n = vectors.shape[0]
    return compare_pair(stacked, dims, n, n + 1)


def pair_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """compare_pair's rows as one row per size (largest first): each measure's value, then where
    B stands in A's list and A in B's, per measure."""
    wide = pairs.pivot(index="dim", columns="measure")
    columns = {"dims": wide.index.to_numpy()}
    for measure in MEASURES:
        columns[MEASURES[measure].label] = wide["value", measure].to_numpy()
    for measure in MEASURES:
        columns[f"B in A's list ({measure})"] = wide["rank_b_in_a", measure].to_numpy()
        columns[f"A in B's list ({measure})"] = wide["rank_a_in_b", measure].to_numpy()
    return pd.DataFrame(columns).sort_values("dims", ascending=False, ignore_index=True)


def alike_note(pairs: pd.DataFrame) -> str:
    """A sentence naming the sizes where the three measures rank alike, so the page does not
    present their equal ranks there as three findings."""
    sizes = sorted(set(pairs.loc[pairs["alike"], "dim"].tolist()), reverse=True)
    if not sizes:
        return (
            "At no size do all prefixes have the same length, so the three measures can rank "
            "neighbours differently at every size."
        )
    named = ", ".join(str(d) for d in sizes[:-1]) + (" and " if len(sizes) > 1 else "")
    return (
        f"At {named}{sizes[-1]} dims every prefix has the same length within 0.1%, so dot "
        "product and euclidean distance rank neighbours as cosine does but for near-ties: the "
        "three ranks there are one finding, not three."
    )
