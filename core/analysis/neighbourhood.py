"""A document's neighbours down the ladder: which are kept, lost and gained at each size, and
its neighbours at one size (the Pinned documents page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from core.analysis.ladder import DimensionView
from core.analysis.measures import MEASURES, shown_values


def neighbour_changes(
    views: Mapping[int, DimensionView], row: int, ids: Sequence[str]
) -> pd.DataFrame:
    """Per size (largest first), the document's kNN compared with its full-size kNN."""
    full = max(views)
    reference = views[full].neighbours.indices[row].tolist()
    records = []
    for dim in sorted(views, reverse=True):
        view = views[dim]
        current = view.neighbours.indices[row].tolist()
        kept = [j for j in current if j in reference]
        records.append(
            {
                "dim": dim,
                "community": int(view.communities[row]),
                "kept": len(kept),
                "recall": len(kept) / len(reference),
                "lost": ", ".join(ids[j] for j in reference if j not in current),
                "gained": ", ".join(ids[j] for j in current if j not in reference),
            }
        )
    return pd.DataFrame(records)


def neighbour_table(
    view: DimensionView,
    row: int,
    ids: Sequence[str],
    texts: Sequence[str],
    full_view: DimensionView,
    measure: str = "cosine",
) -> pd.DataFrame:
    """The document's neighbours at one size, with their similarity (or distance) under the
    lists' measure and whether full size has them."""
    reference = set(full_view.neighbours.indices[row].tolist())
    return pd.DataFrame(
        {
            "neighbour": [ids[j] for j in view.neighbours.indices[row]],
            MEASURES[measure].value_name: shown_values(view.neighbours.scores[row], measure).round(
                3
            ),
            "also at full size": [j in reference for j in view.neighbours.indices[row]],
            "text": [texts[j][:200] for j in view.neighbours.indices[row]],
        }
    )
