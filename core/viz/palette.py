"""Community colours: a palette that stays distinguishable past 30 communities, the same colour
for a community at every size, and grey for the ones too small to tell apart."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# The ten saturated category10 colours, then colours each chosen as far as possible (CIE Lab)
# from those before it and from grey and white, with lightness 35–78 and chroma 30–70: any two
# of the 36 differ by at least 22 ΔE*ab, and none is near the grey of small communities.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
    "#17becf", "#4b5a0f", "#f0b478", "#a5004b", "#00d2a5", "#965a00", "#ff8787", "#a5c378",
    "#0f785a", "#1e87ff", "#b4b4f0", "#960f87", "#873c69", "#d2960f", "#f0a5c3", "#ff5a96",
    "#4bc3ff", "#a53c2d", "#698700", "#00691e", "#f0784b", "#96874b", "#2d4bb4", "#d287ff",
    "#78c3a5", "#2dd278", "#a578a5", "#e13c5a",
)  # fmt: skip
GREY = "#bfbfbf"
VALUE_SCALE = "Viridis"  # a numeric column's colours: perceptually even, readable in grey
BLANK_COLOUR = "#bbbbbb"  # a row without a value on a colour scale
# Communities smaller than this share of the documents (and than SMALL_MINIMUM documents) are
# grey on the map and unlabelled: too small to find by colour, they are left to hover.
SMALL_SHARE = 0.002
SMALL_MINIMUM = 3


def community_colour(community: int) -> str:
    """The colour of a community id. Ids are matched down the ladder by overlap
    (core.analysis.communities.match_communities): a community that survives to a smaller size
    keeps its id there, so it keeps its colour."""
    return PALETTE[int(community) % len(PALETTE)]


def small_threshold(n: int) -> int:
    """Fewest documents a community of an n-document corpus needs for a colour and a label."""
    return max(SMALL_MINIMUM, int(np.ceil(SMALL_SHARE * n)))


def group_colours(sizes: Mapping[int, int], n: int | None = None) -> dict[int, str]:
    """A colour per group from its size: grey below small_threshold(n) (n: the sum of sizes by
    default), else community_colour. Ids past the palette's length take the first colour from
    their own that no other coloured group of this grouping has, while one is free."""
    total = sum(sizes.values()) if n is None else n
    smallest = small_threshold(total)
    coloured = sorted(g for g, size in sizes.items() if size >= smallest)
    colours = {g: GREY for g in sizes}
    taken = {community_colour(g) for g in coloured if g < len(PALETTE)}
    for group in coloured:
        colour = community_colour(group)
        if group >= len(PALETTE):
            start = group % len(PALETTE)
            free = [PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE))]
            colour = next((c for c in free if c not in taken), colour)
            taken.add(colour)
        colours[group] = colour
    return colours


def group_sizes(groups: np.ndarray) -> dict[int, int]:
    """Documents per group id."""
    ids, counts = np.unique(groups, return_counts=True)
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))
