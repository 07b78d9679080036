"""The WebGL map's data, built once for the live map (pages/webgl_map.py) and the standalone
ladder file (core.viz.ladder_html): per size, positions quantised to uint16, a colour code per
point and the names on the map; once per corpus, the hover text; per colouring, the codes of a
column and the Find highlight. Each part is a gzipped "pack" (a JSON header and little-endian
typed arrays) that the front end (frontend/map/src/decode.js) reads without parsing numbers
from text, so that every size can be sent once and a slider step needs nothing from the server.

Plain text throughout: the front end sets every text it shows as text, never as HTML."""

from __future__ import annotations

import gzip
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.viz.map_labels import label_candidates
from core.viz.map_scene import MapScene
from core.viz.palette import BLANK_COLOUR, VALUE_SCALE, group_colours, group_sizes

MAGIC = b"MGE1"
ALIGN = 8  # every array starts at a multiple of this, so the browser views it in place
MISSING = 0xFFFF  # the quantised position of a row a size does not place
STEPS = 0xFFFE  # positions take the codes 0..STEPS
LEGEND_ENTRIES = 24  # the legend names the largest groups, up to this many
VALUE_BINS = 64  # a numeric column's colour scale in this many steps (code VALUE_BINS: blank)
GZIP_LEVEL = 6


def pack(meta: Mapping, arrays: Mapping[str, np.ndarray]) -> bytes:
    """`meta` (JSON) and named numeric arrays in one gzipped blob: MAGIC, the header's length
    (uint32), the header (UTF-8 JSON: meta and each array's dtype, length and offset), then the
    arrays, little-endian, each at a multiple of ALIGN from the start of the data."""
    parts, entries, offset = [], {}, 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
        entries[name] = {"dtype": data.dtype.str[1:], "length": int(data.size), "offset": offset}
        raw = data.tobytes()
        parts.append(raw + b"\0" * (-len(raw) % ALIGN))
        offset += len(parts[-1])
    header = json.dumps({"meta": meta, "arrays": entries}, separators=(",", ":")).encode()
    header += b" " * (-(len(header) + 8) % ALIGN)
    body = MAGIC + struct.pack("<I", len(header)) + header + b"".join(parts)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def unpack(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """pack's meta and arrays back (tests, and anyone reading an exported file)."""
    body = gzip.decompress(blob)
    if body[:4] != MAGIC:
        raise ValueError("not a map data pack")
    (length,) = struct.unpack("<I", body[4:8])
    header = json.loads(body[8 : 8 + length])
    start = 8 + length
    arrays = {
        name: np.frombuffer(
            body,
            dtype=np.dtype(entry["dtype"]).newbyteorder("<"),
            count=entry["length"],
            offset=start + entry["offset"],
        )
        for name, entry in header["arrays"].items()
    }
    return header["meta"], arrays


@dataclass(frozen=True)
class Quantised:
    """Positions as uint16 codes (n × 2; MISSING where a row is not placed): a position is
    origin + code × step, the same step on both axes, so shapes keep their proportions."""

    codes: np.ndarray
    origin: tuple[float, float]
    step: float

    def positions(self) -> np.ndarray:
        """The positions the codes stand for (NaN where missing), float64."""
        out = np.asarray(self.origin) + self.codes.astype(np.float64) * self.step
        out[(self.codes == MISSING).any(axis=1)] = np.nan
        return out


def quantise(coords: np.ndarray) -> Quantised:
    """Quantise an n × 2 map to uint16 over its own extent: the error is at most half a step,
    1/131,068 of the map's larger side. Each size has its own origin and step, so a size ready
    later needs no frame fixed in advance."""
    coords = np.asarray(coords, dtype=np.float64)
    placed = np.isfinite(coords).all(axis=1)
    if not placed.any():
        return Quantised(np.full(coords.shape, MISSING, np.uint16), (0.0, 0.0), 1.0)
    low = coords[placed].min(axis=0)
    span = float((coords[placed].max(axis=0) - low).max())
    step = span / STEPS if span > 0 else 1.0
    codes = np.full(coords.shape, MISSING, np.uint16)
    codes[placed] = np.rint((coords[placed] - low) / step).astype(np.uint16)
    return Quantised(codes, (float(low[0]), float(low[1])), step)


@dataclass(frozen=True)
class Paint:
    """Points coloured from a small palette: a code per row into `palette` (hex colours), the
    legend's entries (name, code, documents; largest first) and its title."""

    codes: np.ndarray
    palette: tuple[str, ...]
    legend: tuple[tuple[str, int, int], ...]
    title: str


def group_paint(labels: np.ndarray, names: Mapping[int, str], title: str) -> Paint:
    """Colours of a grouping (communities, or a column's categories) as the plotly maps give
    them (core.viz.palette.group_colours: the same colour for a community at every size, grey
    for small groups)."""
    sizes = group_sizes(labels)
    colours = group_colours(sizes)
    palette = tuple(sorted(set(colours.values())))
    index = {colour: code for code, colour in enumerate(palette)}
    ids = np.array(sorted(sizes), dtype=np.int64)
    lookup = np.array([index[colours[g]] for g in ids.tolist()], dtype=np.uint16)
    codes = lookup[np.searchsorted(ids, labels)]
    largest = sorted(sizes, key=lambda g: (-sizes[g], g))[:LEGEND_ENTRIES]
    legend = tuple((names.get(g, str(g)), int(index[colours[g]]), int(sizes[g])) for g in largest)
    return Paint(codes, palette, legend, title)


def value_paint(values: np.ndarray, title: str) -> Paint:
    """A number per row on VALUE_SCALE in VALUE_BINS steps, blank (NaN) rows grey; the legend
    gives the scale's ends."""
    from plotly.colors import sample_colorscale

    values = np.asarray(values, dtype=np.float64)
    known = np.isfinite(values)
    scale = sample_colorscale(VALUE_SCALE, [i / (VALUE_BINS - 1) for i in range(VALUE_BINS)])
    palette = tuple(_hex(colour) for colour in scale) + (BLANK_COLOUR,)
    codes = np.full(len(values), VALUE_BINS, np.uint16)
    legend: tuple[tuple[str, int, int], ...] = ()
    if known.any():
        low, high = float(values[known].min()), float(values[known].max())
        share = (values[known] - low) / (high - low) if high > low else np.zeros(known.sum())
        codes[known] = np.minimum((share * VALUE_BINS).astype(np.int64), VALUE_BINS - 1)
        legend = ((f"{high:.4g}", VALUE_BINS - 1, 0), (f"{low:.4g}", 0, 0))
    if not known.all():
        legend += (("(blank)", VALUE_BINS, int((~known).sum())),)
    return Paint(codes, palette, legend, title)


def _hex(colour: str) -> str:
    """A plotly "rgb(r, g, b)" colour as #rrggbb."""
    if colour.startswith("#"):
        return colour
    red, green, blue = (round(float(v)) for v in colour[colour.index("(") + 1 : -1].split(","))
    return f"#{red:02x}{green:02x}{blue:02x}"


def size_pack(dim: int, scene: MapScene, rows: np.ndarray, *, note: str = "") -> bytes:
    """One size of the map over `rows` (the documents drawn, in the order of text_pack's
    rows), from its scene coloured by community: quantised positions, the communities' colours
    and legend, and the scene's names on the map."""
    placed = quantise(scene.coords[rows])
    colours = scene.colours
    paint = group_paint(colours.codes[rows], colours.names, colours.title)
    meta = {
        "kind": "size",
        "dim": int(dim),
        "umap": bool(scene.is_umap),
        "origin": list(placed.origin),
        "step": placed.step,
        "palette": list(paint.palette),
        "legend": [list(entry) for entry in paint.legend],
        "labels": scene_labels(scene, rows),
        "note": note,
    }
    return pack(meta, {"xy": placed.codes.reshape(-1), "colour": paint.codes})


def text_pack(rows: np.ndarray, hovers: Sequence[str], *, title: str = "") -> bytes:
    """The drawn rows (their row in the corpus, what a selection reports) and each one's hover
    text, as UTF-8 with offsets, read on hover only."""
    encoded = [text.encode("utf-8", "replace") for text in hovers]
    offsets = np.zeros(len(encoded) + 1, np.uint32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    arrays = {
        "rows": np.asarray(rows, np.uint32),
        "offsets": offsets,
        "text": np.frombuffer(b"".join(encoded), np.uint8),
    }
    return pack({"kind": "texts", "n": len(rows), "title": title}, arrays)


def paint_pack(
    rows: np.ndarray,
    *,
    paint: Paint | None = None,
    labels: Mapping[int, list[dict]] | None = None,
    highlight: np.ndarray | None = None,
    note: str = "",
) -> bytes:
    """What colours the map beside the sizes: a column's `paint` (None: each size's
    communities) with its names per size (`labels`: size → candidates, as size_pack's), and the
    Find `highlight` (a bool per corpus row) with its `note`."""
    meta: dict = {"kind": "paint", "mode": "community" if paint is None else "column", "note": note}
    arrays: dict[str, np.ndarray] = {}
    if paint is not None:
        meta.update(
            palette=list(paint.palette),
            legend=[list(entry) for entry in paint.legend],
            title=paint.title,
            labels={str(dim): found for dim, found in (labels or {}).items()},
        )
        arrays["colour"] = paint.codes[rows].astype(np.uint16)
    if highlight is not None:
        arrays["highlight"] = np.asarray(highlight, bool)[rows].astype(np.uint8)
    return pack(meta, arrays)


def scene_paint(scene: MapScene) -> Paint:
    """A scene's colours over every row: a number per row on the scale, else its groups."""
    colours = scene.colours
    if colours.values is not None:
        return value_paint(colours.values, colours.title)
    return group_paint(colours.codes, colours.names, colours.title)


def scene_labels(scene: MapScene, rows: np.ndarray) -> list[dict]:
    """The names on a scene's map over `rows`, as candidates (core.viz.map_labels
    .label_candidates): the front end places them for its view, dropping those that would
    overlap; none without names on the map."""
    levels = scene.names_on_map
    if levels is None:
        return []
    found = label_candidates(
        scene.coords[rows],
        scene.colours.codes[rows],
        levels.names,
        coarse_groups=levels.coarse_groups,
        coarse_names=levels.coarse_names,
    )
    return [
        {
            "lines": list(label.lines),
            "x": label.x,
            "y": label.y,
            "size": label.size,
            "level": label.level,
        }
        for label in found
    ]
