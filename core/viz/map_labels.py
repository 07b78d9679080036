"""Names on a map: each group's name placed at its medoid, the font sized by the group's size,
never overlapping another name. Any grouping of the rows gets its names the same way
(communities, a label column), in two levels: a coarse grouping's names large, the map's own
groups' small. Cost is bounded per map: a medoid comes from a fixed-size sample of its group,
and only groups large enough to colour (core.viz.palette.small_threshold) get a name."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.viz.palette import small_threshold

MEDOID_SAMPLE = 64  # members of a group its medoid is chosen among (and measured against)
MAX_LABELS = 60  # names per level at most; the rest are left to hover
LINE_CHARS = 22  # a name wraps onto lines of about this many characters
# Width of a character and height of a line, in units of the font size, for the sans-serif
# fonts plotly.js falls back on: keyword names in Chromium measure 0.43–0.51 em per character
# (bold included), and DejaVu Sans, a common fallback, about 0.57; the box takes the widest.
CHAR_WIDTH = 0.6
LINE_HEIGHT = 1.3
PADDING = 2.0  # pixels kept clear around each name
FINE_FONT = (10.0, 15.0)  # smallest and largest font size (px) of the map's own groups' names
COARSE_FONT = (17.0, 24.0)  # the same for the coarse level
HALO = "0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff"  # a white glow keeps names legible on points
# Where a name goes when its medoid's place is taken: offsets in units of its own box
SHIFTS = ((0, 0), (0, 1), (0, -1), (0.75, 0), (-0.75, 0), (0.75, 1), (-0.75, 1), (0.75, -1),
          (-0.75, -1))  # fmt: skip


@dataclass(frozen=True)
class LabelLevels:
    """What a map names: its own groups (`names`, plain text per group id) and optionally a
    coarser grouping of the same rows (`coarse_groups`, an id per row) named in
    `coarse_names`."""

    names: Mapping[int, str]
    coarse_groups: np.ndarray | None = None
    coarse_names: Mapping[int, str] | None = None


@dataclass(frozen=True)
class LabelFrame:
    """The plot area names are placed in: its size in pixels and the axis ranges it shows, at
    equal scale on both axes (as the maps draw them: the ranges fit inside the area)."""

    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def units_per_pixel(self) -> float:
        x_span = self.x_range[1] - self.x_range[0]
        y_span = self.y_range[1] - self.y_range[0]
        return max(x_span / max(self.width, 1.0), y_span / max(self.height, 1.0), 1e-12)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) the area shows: at equal scale the ranges widen about their centres
        to fill it."""
        unit = self.units_per_pixel
        x_mid, y_mid = sum(self.x_range) / 2, sum(self.y_range) / 2
        half_w, half_h = self.width * unit / 2, self.height * unit / 2
        return x_mid - half_w, y_mid - half_h, x_mid + half_w, y_mid + half_h


@dataclass(frozen=True)
class MapLabel:
    """One placed name: its group, its lines (plain text), centre in data units, font size in
    pixels and level ("coarse" or "fine")."""

    group: int
    lines: tuple[str, ...]
    x: float
    y: float
    size: float
    level: str

    def box(self, units_per_pixel: float) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in data units, padded by PADDING pixels."""
        return label_box(self.x, self.y, self.lines, self.size, units_per_pixel)


def text_extent(lines: tuple[str, ...], size: float) -> tuple[float, float]:
    """Width and height in pixels of lines of text at a font size."""
    longest = max((len(line) for line in lines), default=0)
    return longest * CHAR_WIDTH * size, len(lines) * LINE_HEIGHT * size


def label_box(
    x: float, y: float, lines: tuple[str, ...], size: float, units_per_pixel: float
) -> tuple[float, float, float, float]:
    """The padded box, in data units, of lines of text centred at (x, y)."""
    width, height = text_extent(lines, size)
    half_w = (width / 2 + PADDING) * units_per_pixel
    half_h = (height / 2 + PADDING) * units_per_pixel
    return x - half_w, y - half_h, x + half_w, y + half_h


def wrap(name: str, width: int = LINE_CHARS) -> tuple[str, ...]:
    """A name on at most two lines of about `width` characters (the rest cut with an ellipsis)."""
    lines = textwrap.wrap(" ".join(name.split()), width, break_long_words=True) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return tuple(lines)


def medoids(
    coords: np.ndarray, groups: np.ndarray, *, sample: int = MEDOID_SAMPLE, seed: int = 0
) -> dict[int, tuple[np.ndarray, int]]:
    """Per group of placed (finite) rows: its medoid among a fixed sample of at most `sample`
    members (the member nearest, in total, to the others), and the group's placed size."""
    placed = np.flatnonzero(np.isfinite(coords).all(axis=1))
    order = placed[np.argsort(groups[placed], kind="stable")]
    ids, starts, counts = np.unique(groups[order], return_index=True, return_counts=True)
    rng = np.random.default_rng(seed)
    found = {}
    for group, start, count in zip(ids.tolist(), starts, counts, strict=True):
        members = order[start : start + count]
        if count > sample:
            members = members[np.sort(rng.choice(count, sample, replace=False))]
        points = coords[members].astype(np.float64)
        spread = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
        found[group] = (points[int(np.argmin(spread))], int(count))
    return found


def _font_sizes(sizes: np.ndarray, fonts: tuple[float, float]) -> np.ndarray:
    """Font size per group: by the square root of its size (text area grows with the group's)."""
    low, high = fonts
    scale = np.sqrt(sizes / sizes.max()) if len(sizes) else sizes
    return np.round(low + (high - low) * scale, 1)


def _level(
    coords: np.ndarray,
    groups: np.ndarray,
    names: Mapping[int, str],
    fonts: tuple[float, float],
    level: str,
    smallest: int,
    seed: int,
    most: int,
    keep: set[int] | None = None,
) -> list[MapLabel]:
    """Candidate names of one grouping, largest group first."""
    centres = medoids(coords, groups, seed=seed)
    chosen = [
        (g, point, size)
        for g, (point, size) in centres.items()
        if size >= smallest and g in names and (keep is None or g in keep)
    ]
    chosen.sort(key=lambda item: (-item[2], item[0]))
    chosen = chosen[:most]
    sizes = _font_sizes(np.array([size for _, _, size in chosen], dtype=float), fonts)
    return [
        MapLabel(g, wrap(names[g]), float(point[0]), float(point[1]), float(font), level)
        for (g, point, _), font in zip(chosen, sizes, strict=True)
    ]


def _spanning(groups: np.ndarray, coarse: np.ndarray, fine_kept: set[int]) -> set[int]:
    """Coarse groups holding at least two named fine groups (one holding a single fine group
    would only repeat that group's name in larger type)."""
    fine_ids, fine_rows = np.unique(groups, return_inverse=True)
    coarse_ids, coarse_rows = np.unique(coarse, return_inverse=True)
    cells = np.bincount(
        coarse_rows * len(fine_ids) + fine_rows, minlength=len(coarse_ids) * len(fine_ids)
    ).reshape(len(coarse_ids), len(fine_ids))
    named = np.isin(fine_ids, list(fine_kept))
    return set(coarse_ids[(cells[:, named] > 0).sum(axis=1) >= 2].tolist())


def place_labels(
    coords: np.ndarray,
    groups: np.ndarray,
    names: Mapping[int, str],
    frame: LabelFrame,
    *,
    coarse_groups: np.ndarray | None = None,
    coarse_names: Mapping[int, str] | None = None,
    fine_font: tuple[float, float] = FINE_FONT,
    coarse_font: tuple[float, float] = COARSE_FONT,
    most: int = MAX_LABELS,
    seed: int = 0,
) -> list[MapLabel]:
    """Names for the groups of a map (coords: n × 2, NaN rows unplaced; groups: n ids), placed
    at their medoids and sized by group size, biggest groups first; a name whose box would
    overlap one already placed or leave the frame moves by up to a box's size, or is dropped
    (its group is left to hover). With `coarse_groups` (a coarser grouping of the same rows,
    its names in `coarse_names`) the coarse names come first, larger, and the map's own groups'
    names fit between them. At most `most` names per level are tried, largest groups first."""
    candidates = label_candidates(
        coords,
        groups,
        names,
        coarse_groups=coarse_groups,
        coarse_names=coarse_names,
        fine_font=fine_font,
        coarse_font=coarse_font,
        most=most,
        seed=seed,
    )
    return _without_overlaps(candidates, frame)


def label_candidates(
    coords: np.ndarray,
    groups: np.ndarray,
    names: Mapping[int, str],
    *,
    coarse_groups: np.ndarray | None = None,
    coarse_names: Mapping[int, str] | None = None,
    fine_font: tuple[float, float] = FINE_FONT,
    coarse_font: tuple[float, float] = COARSE_FONT,
    most: int = MAX_LABELS,
    seed: int = 0,
) -> list[MapLabel]:
    """place_labels' names at their medoids before any is moved or dropped, coarse level first,
    largest groups first: a renderer that zooms (the WebGL map) places them for its own view."""
    smallest = small_threshold(len(groups))
    fine = _level(coords, groups, names, fine_font, "fine", smallest, seed, most)
    candidates = fine
    if coarse_groups is not None and coarse_names:
        keep = _spanning(groups, coarse_groups, {label.group for label in fine})
        coarse = _level(
            coords, coarse_groups, coarse_names, coarse_font, "coarse", smallest, seed, most, keep
        )
        candidates = coarse + fine
    return candidates


def _without_overlaps(candidates: list[MapLabel], frame: LabelFrame) -> list[MapLabel]:
    """Each candidate in turn at the first of its SHIFTS that overlaps no placed box, each
    shifted place moved just inside the frame if it pokes out (a name by the map's edge stays
    by its group); dropped when no place is free or the name is larger than the frame."""
    unit = frame.units_per_pixel
    x_low, y_low, x_high, y_high = frame.bounds
    boxes = np.empty((0, 4))
    placed = []
    for label in candidates:
        x0, y0, x1, y1 = label.box(unit)
        half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
        if 2 * half_w > x_high - x_low or 2 * half_h > y_high - y_low:
            continue
        for dx, dy in SHIFTS:
            x = min(max(label.x + dx * 2 * half_w, x_low + half_w), x_high - half_w)
            y = min(max(label.y + dy * 2 * half_h, y_low + half_h), y_high - half_h)
            box = np.array([x - half_w, y - half_h, x + half_w, y + half_h])
            clash = (
                (box[0] < boxes[:, 2])
                & (boxes[:, 0] < box[2])
                & (box[1] < boxes[:, 3])
                & (boxes[:, 1] < box[3])
            )
            if not clash.any():
                placed.append(MapLabel(label.group, label.lines, x, y, label.size, label.level))
                boxes = np.vstack([boxes, box])
                break
    return placed


def label_annotations(labels: list[MapLabel], axes: str = "") -> list[dict]:
    """Plotly annotations drawing the names over the points (of the axes x<axes>, y<axes>):
    escaped text, dark on a white halo, the coarse level in bold."""
    return [
        {
            "text": "<br>".join(html.escape(line, quote=False) for line in label.lines),
            "x": label.x,
            "y": label.y,
            "xref": f"x{axes}",
            "yref": f"y{axes}",
            "xanchor": "center",
            "yanchor": "middle",
            "showarrow": False,
            "font": {
                "size": label.size,
                "color": "#1a1a1a" if label.level == "fine" else "#3a3a3a",
                "weight": 700 if label.level == "coarse" else 400,
                "shadow": HALO,
            },
            "name": f"label-{label.level}",
            "captureevents": False,
        }
        for label in labels
    ]


def keyword_names(keywords: Mapping[int, tuple[str, ...]], count: int = 3) -> dict[int, str]:
    """A map name per community from its first `count` keywords (none for one without any)."""
    return {c: ", ".join(words[:count]) for c, words in keywords.items() if words}
