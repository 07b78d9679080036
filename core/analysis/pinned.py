"""Follow chosen documents down the ladder: which neighbours are kept, lost and gained."""

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


def selected_rows(points: Sequence[Mapping]) -> list[int]:
    """Corpus rows of the points picked on a map (each map point carries its row as customdata);
    points without one, such as the pin markers, are ignored."""
    rows = set()
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value is not None:
            rows.add(int(value))
    return sorted(rows)


def find_documents(ids: Sequence[str], texts: Sequence[str], query: str, limit: int) -> list[int]:
    """Rows whose id or text contains `query` (case-insensitive), first `limit` in corpus order;
    an empty query finds the first `limit` rows."""
    needle = query.strip().casefold()
    found = []
    for row, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        if not needle or needle in doc_id.casefold() or needle in text.casefold():
            found.append(row)
            if len(found) == limit:
                break
    return found
