"""Cluster lineage down the dimension ladder: how communities at one size merge, split or
scatter at the next smaller size, and how nested the two partitions really are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.analysis.keywords import community_names
from core.analysis.ladder import DimensionView
from core.runtime.errors import ExplorerError

if TYPE_CHECKING:  # scikit-learn and networkx are imported when first used: not on the map's path
    import networkx as nx
    from scipy import sparse

# Verdict thresholds on chance-corrected nesting (0 = what random relabelling gives, 1 = perfect).
CLEAN_NESTING = 0.9  # within a tenth of perfect nesting once chance is removed
MOSTLY_NESTED = 0.5  # at least halfway from chance to perfect nesting
BASELINE_ROUNDS = 20

Labels = Mapping[int, np.ndarray]
Names = Mapping[int, Mapping[int, str]]
Member = tuple[int, str, int]  # (community id, display name, size)


def lineage_inputs(
    views: Mapping[int, DimensionView],
) -> tuple[list[int], dict[int, np.ndarray], dict[int, dict[int, str]]]:
    """(dims largest first, labels per dim, names per dim) from the ladder's views; names are
    the map legend's ("3 · serve, racket, court") so both pages speak the same language."""
    dims = sorted(views, reverse=True)
    labels = {d: views[d].communities for d in dims}
    names = {d: community_names(views[d].keywords) for d in dims}
    return dims, labels, names


def _table(
    fine: np.ndarray, coarse: np.ndarray
) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """Sorted fine ids, sorted coarse ids and the sparse contingency table between them."""
    from sklearn.metrics.cluster import contingency_matrix

    fine, coarse = np.asarray(fine), np.asarray(coarse)
    if fine.shape != coarse.shape or fine.ndim != 1:
        raise ValueError(f"labels must be 1-D and equal length, got {fine.shape}, {coarse.shape}")
    return np.unique(fine), np.unique(coarse), contingency_matrix(fine, coarse, sparse=True)


def contingency(fine: np.ndarray, coarse: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fine_ids, coarse_ids, counts) with counts[i, j] = documents in fine_ids[i] and
    coarse_ids[j]; ids are sorted."""
    fine_ids, coarse_ids, table = _table(fine, coarse)
    return fine_ids, coarse_ids, table.toarray()


def _flows(fine: np.ndarray, coarse: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fine id, coarse id, documents) for every non-empty cell, row by row."""
    fine_ids, coarse_ids, table = _table(fine, coarse)
    cells = table.tocoo()
    return fine_ids[cells.row], coarse_ids[cells.col], cells.data


def parent_communities(fine: np.ndarray, coarse: np.ndarray) -> dict[int, int]:
    """Each fine community's parent: the coarse community that receives most of its members
    (ties to the lower id). numpy alone, as it runs on the live map's path."""
    fine, coarse = np.asarray(fine), np.asarray(coarse)
    pairs, counts = np.unique(np.stack([fine, coarse]), axis=1, return_counts=True)
    order = np.lexsort((pairs[1], -counts, pairs[0]))  # by fine id, then most members first
    firsts = order[np.r_[True, pairs[0][order][1:] != pairs[0][order][:-1]]]
    return dict(zip(pairs[0][firsts].tolist(), pairs[1][firsts].tolist(), strict=True))


def coarse_size(counts: Mapping[int, int], dim: int, *, target: int = 6) -> int | None:
    """The size whose communities name a map's regions at `dim`: among the sizes with fewer
    communities than dim's (and at least two), the one whose count is nearest `target`
    (ties to the larger size); None when no size has fewer."""
    fewer = [d for d, count in counts.items() if 2 <= count < counts[dim]]
    if not fewer:
        return None
    return min(fewer, key=lambda d: (abs(counts[d] - target), -d))


def containment(fine: np.ndarray, coarse: np.ndarray) -> float:
    """Share of documents that sit in the coarse community taking most of their fine community.

    1.0 means every fine community lands whole inside one coarse community (the coarse partition
    is a union of fine ones). Swap the arguments for the other direction: 1.0 then means every
    coarse community lies inside one fine community (the fine ones split cleanly).
    """
    _, _, table = _table(fine, coarse)
    return float(table.max(axis=1).sum() / table.sum())


def containment_baseline(
    fine: np.ndarray, coarse: np.ndarray, *, rounds: int = BASELINE_ROUNDS, seed: int = 0
) -> float:
    """Containment expected by chance: the mean over `rounds` seeded random permutations of the
    coarse labels (same community sizes, membership unrelated to the fine partition)."""
    rng = np.random.default_rng(seed)
    coarse = np.asarray(coarse)
    return float(np.mean([containment(fine, rng.permutation(coarse)) for _ in range(rounds)]))


def chance_corrected(score: float, chance: float) -> float:
    """(score - chance) / (1 - chance), floored at 0: 0 = no better than random relabelling,
    1 = perfect. When chance alone reaches 1 (one community receives everything, or every giving
    community is a single document) the nesting holds trivially: 1 if the score is 1, else 0."""
    if chance >= 1.0:
        return float(score >= 1.0)
    return max(0.0, (score - chance) / (1.0 - chance))


@dataclass(frozen=True)
class LineageEvent:
    """One community-level change between neighbouring sizes on the ladder.

    kind is "merge" (several fine communities go mostly into one coarse one), "split" (one fine
    community divides between two coarse ones) or "scatter" (no one or two coarse communities
    take most of it). share is the fraction of the sources' members the event accounts for
    (for a scatter: the largest fraction any one target gets).
    """

    kind: str
    from_dim: int
    to_dim: int
    sources: tuple[Member, ...]
    targets: tuple[Member, ...]
    share: float


def lineage_events(
    dims: Sequence[int],
    labels: Labels,
    names: Names,
    *,
    min_share: float = 0.8,
    min_size: int = 5,
) -> list[LineageEvent]:
    """Merges, splits and scatters between each pair of consecutive sizes, largest first.

    Only fine communities with at least `min_size` documents take part. One whose largest
    recipient gets at least `min_share` of it is "kept" there, and two or more kept in the same
    coarse community make a merge. Otherwise it splits if its top two recipients together get
    `min_share`, and scatters if not.
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    events: list[LineageEvent] = []
    for big, small in _steps(dims):
        events.extend(_step_events(big, small, labels, names, min_share, min_size))
    return events


def _steps(dims: Sequence[int]) -> list[tuple[int, int]]:
    ladder = sorted(set(dims), reverse=True)
    return list(zip(ladder[:-1], ladder[1:], strict=True))


def _name(names: Names, dim: int, community: int) -> str:
    return str(names.get(dim, {}).get(community, community))


def _step_events(
    big: int, small: int, labels: Labels, names: Names, min_share: float, min_size: int
) -> list[LineageEvent]:
    fine_ids, coarse_ids, counts = contingency(labels[big], labels[small])
    fine_sizes, coarse_sizes = counts.sum(axis=1), counts.sum(axis=0)

    def source(i: int) -> Member:
        c = int(fine_ids[i])
        return c, _name(names, big, c), int(fine_sizes[i])

    def target(j: int) -> Member:
        c = int(coarse_ids[j])
        return c, _name(names, small, c), int(coarse_sizes[j])

    kept: dict[int, list[int]] = {}
    changes: list[LineageEvent] = []
    for i in np.flatnonzero(fine_sizes >= min_size):
        order = np.argsort(-counts[i], kind="stable")
        shares = counts[i, order] / fine_sizes[i]
        if shares[0] >= min_share:
            kept.setdefault(int(order[0]), []).append(int(i))
        elif shares[:2].sum() >= min_share:
            pair = tuple(target(j) for j in order[:2])
            share = float(shares[:2].sum())
            changes.append(LineageEvent("split", big, small, (source(i),), pair, share))
        else:
            top = tuple(target(j) for j in order[:3] if counts[i, j] > 0)
            changes.append(LineageEvent("scatter", big, small, (source(i),), top, float(shares[0])))
    merges = [
        LineageEvent(
            "merge",
            big,
            small,
            tuple(source(i) for i in rows),
            (target(j),),
            float(counts[rows, j].sum() / fine_sizes[rows].sum()),
        )
        for j, rows in sorted(kept.items())
        if len(rows) >= 2
    ]
    return merges + changes


def describe(event: LineageEvent) -> str:
    """The event in plain words (not escaped: render it as text, not HTML)."""
    head = f"From {event.from_dim} to {event.to_dim} dims, "
    sources = _listing(event.sources)
    if event.kind == "merge":
        target = event.targets[0][1]
        return (
            f"{head}{sources} merge into one community, '{target}' "
            f"({event.share:.0%} of their members)."
        )
    if event.kind == "split":
        return (
            f"{head}{sources} splits into {_listing(event.targets)} "
            f"(together {event.share:.0%} of its members)."
        )
    return (
        f"{head}{sources} scatters: no community gets more than {event.share:.0%} of its members."
    )


def _listing(members: Sequence[Member]) -> str:
    parts = [f"'{name}' ({size} docs)" for _, name, size in members]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"


def verdict(merge: float, split: float) -> str:
    """A word for a step from its chance-corrected nesting in both directions.

    "same partition" when both are clean, "clean merges" (the smaller size is a union of the
    larger one's communities) or "clean splits" (the reverse) when one is, "mostly nested" when
    either is at least MOSTLY_NESTED, and "reshuffle" otherwise.
    """
    if merge >= CLEAN_NESTING and split >= CLEAN_NESTING:
        return "same partition"
    if merge >= CLEAN_NESTING:
        return "clean merges"
    if split >= CLEAN_NESTING:
        return "clean splits"
    return "mostly nested" if max(merge, split) >= MOSTLY_NESTED else "reshuffle"


SUMMARY_COLUMNS = (
    "from_dim",
    "to_dim",
    "communities_from",
    "communities_to",
    "merge_nesting",
    "merge_chance",
    "merge_corrected",
    "split_nesting",
    "split_chance",
    "split_corrected",
    "ami",
    "verdict",
)


def step_summary(dims: Sequence[int], labels: Labels) -> pd.DataFrame:
    """One row per consecutive pair of sizes (SUMMARY_COLUMNS).

    merge_nesting is the containment of the larger size's communities in the smaller size's,
    split_nesting the reverse; each comes with its chance level (random relabelling, same sizes)
    and the chance-corrected figure the verdict rests on. ami is the adjusted mutual information
    between the two partitions (symmetric; 0 = chance, 1 = identical).
    """
    from sklearn.metrics import adjusted_mutual_info_score

    rows = []
    for big, small in _steps(dims):
        fine, coarse = labels[big], labels[small]
        merge, split = _nesting("merge", fine, coarse), _nesting("split", coarse, fine)
        rows.append(
            {
                "from_dim": big,
                "to_dim": small,
                "communities_from": int(np.unique(fine).size),
                "communities_to": int(np.unique(coarse).size),
                **merge,
                **split,
                "ami": float(adjusted_mutual_info_score(fine, coarse)),
                "verdict": verdict(merge["merge_corrected"], split["split_corrected"]),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _nesting(direction: str, inner: np.ndarray, outer: np.ndarray) -> dict[str, float]:
    score, chance = containment(inner, outer), containment_baseline(inner, outer)
    return {
        f"{direction}_nesting": score,
        f"{direction}_chance": chance,
        f"{direction}_corrected": chance_corrected(score, chance),
    }


def label_agreement(dims: Sequence[int], labels: Labels, doc_labels: Sequence[str]) -> pd.DataFrame:
    """Per size, AMI and ARI between the communities and the given labels (1.0 = identical,
    0 = what chance gives), chance-corrected like the step table's AMI: plain NMI rises with the
    number of communities even when they ignore the labels.

    Documents with a blank label are left out of the comparison.
    """
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    given = np.array([str(v).strip() for v in doc_labels], dtype=object)
    known = given != ""
    if not known.any():
        raise ExplorerError("No document has a label, so communities cannot be compared to one.")
    rows = []
    for dim in sorted(set(dims), reverse=True):
        found = np.asarray(labels[dim])
        if found.size != given.size:
            raise ValueError(f"{given.size} labels for {found.size} documents at {dim} dims")
        rows.append(
            {
                "dim": dim,
                "communities": int(np.unique(found).size),
                "ami": float(adjusted_mutual_info_score(given[known], found[known])),
                "ari": float(adjusted_rand_score(given[known], found[known])),
            }
        )
    return pd.DataFrame(rows, columns=["dim", "communities", "ami", "ari"])


@dataclass(frozen=True)
class SankeyData:
    """Nodes (one per community per size, largest size first) and the flows of shared documents
    between consecutive sizes, as parallel arrays ready for a Sankey diagram."""

    node_labels: tuple[str, ...]
    node_dims: np.ndarray
    node_communities: np.ndarray
    node_sizes: np.ndarray
    source: np.ndarray
    target: np.ndarray
    value: np.ndarray

    @property
    def dims(self) -> list[int]:
        """The sizes shown, largest first."""
        return sorted(set(self.node_dims.tolist()), reverse=True)


def sankey_data(
    dims: Sequence[int], labels: Labels, names: Names, *, min_flow: int = 1
) -> SankeyData:
    """Sankey nodes and flows; flows under `min_flow` documents are dropped to declutter."""
    ladder = sorted(set(dims), reverse=True)
    node_of: dict[tuple[int, int], int] = {}
    node_labels, node_dims, node_communities, node_sizes = [], [], [], []
    for dim in ladder:
        ids, sizes = np.unique(labels[dim], return_counts=True)
        for c, size in zip(ids.tolist(), sizes.tolist(), strict=True):
            node_of[(dim, c)] = len(node_labels)
            node_labels.append(_name(names, dim, c))
            node_dims.append(dim)
            node_communities.append(c)
            node_sizes.append(size)
    source, target, value = [], [], []
    for big, small in _steps(ladder):
        for a, b, count in zip(*_flows(labels[big], labels[small]), strict=True):
            if count >= min_flow:
                source.append(node_of[(big, int(a))])
                target.append(node_of[(small, int(b))])
                value.append(int(count))
    return SankeyData(
        node_labels=tuple(node_labels),
        node_dims=np.array(node_dims, dtype=np.int64),
        node_communities=np.array(node_communities, dtype=np.int64),
        node_sizes=np.array(node_sizes, dtype=np.int64),
        source=np.array(source, dtype=np.int64),
        target=np.array(target, dtype=np.int64),
        value=np.array(value, dtype=np.int64),
    )


def tree_node(dim: int, community: int) -> str:
    """The cluster-tree node key for a community at a size, e.g. "d64:c3"."""
    return f"d{dim}:c{community}"


def cluster_tree(dims: Sequence[int], labels: Labels, names: Names) -> nx.DiGraph:
    """A clustree-style DAG: each community points to the communities at the next smaller size
    that receive its members (edge count, and share = count / parent size)."""
    import networkx as nx

    ladder = sorted(set(dims), reverse=True)
    tree = nx.DiGraph()
    for dim in ladder:
        ids, sizes = np.unique(labels[dim], return_counts=True)
        for c, size in zip(ids.tolist(), sizes.tolist(), strict=True):
            tree.add_node(
                tree_node(dim, c), dim=dim, community=c, size=size, name=_name(names, dim, c)
            )
    for big, small in _steps(ladder):
        for a, b, count in zip(*_flows(labels[big], labels[small]), strict=True):
            parent = tree_node(big, int(a))
            tree.add_edge(
                parent,
                tree_node(small, int(b)),
                count=int(count),
                share=float(count / tree.nodes[parent]["size"]),
            )
    return tree
