"""Label boxes for the lineage figures (Sankey and cluster tree): each community named once, at
the first of its places (widest first) where its label overlaps no label already placed; the
others are left to hover. Boxes are in the figure's pixels, from its own positions and font
size, so the same functions check a finished figure."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# A character's width in font sizes: on the wide side of the sans-serif fonts plotly falls back
# to (Open Sans, Arial or its Liberation twin), so a box is never narrower than its text.
CHAR_WIDTH = 0.6
LINE_HEIGHT = 1.3  # a label's height in font sizes
ELLIPSIS = "…"


@dataclass(frozen=True)
class Box:
    """A label's rectangle in pixels, y downwards."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def text_width(text: str, size: float) -> float:
    """The width a label of `size`-pixel font takes at most."""
    return len(text) * size * CHAR_WIDTH


def fit(text: str, room: float, size: float) -> str:
    """`text` cut to fit `room` pixels: whole comma-separated parts kept while they fit (a name
    is "3 · serve, racket, court"), else cut with an ellipsis; empty when not even that fits."""
    if text_width(text, size) <= room:
        return text
    parts = text.split(", ")
    for keep in range(len(parts) - 1, 0, -1):
        shorter = ", ".join(parts[:keep])
        if text_width(shorter, size) <= room:
            return shorter
    chars = int(room / (size * CHAR_WIDTH)) - 1
    return text[:chars].rstrip() + ELLIPSIS if chars >= 3 else ""


def label_box(x: float, y: float, text: str, size: float, *, end: bool = False) -> Box:
    """The box of a one-line label starting at x (ending there with `end`), centred on y."""
    width = text_width(text, size)
    half = LINE_HEIGHT * size / 2
    left = x - width if end else x
    return Box(left, y - half, left + width, y + half)


def place_once(candidates: Sequence[Sequence[tuple[Hashable, Box]]]) -> dict[Hashable, Box]:
    """For each community in turn (most important first), its first candidate (node, box) whose
    box overlaps none placed so far; node -> box of the labels placed."""
    placed: dict[Hashable, Box] = {}
    for options in candidates:
        for node, box in options:
            if not any(box.overlaps(other) for other in placed.values()):
                placed[node] = box
                break
    return placed


def overlapping(boxes: Sequence[Box]) -> list[tuple[int, int]]:
    """The index pairs of boxes that overlap (none, for a readable figure)."""
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]
