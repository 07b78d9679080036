"""The ladder as a file: an animated GIF or an MP4 of the map moving from the full size to the
smallest, each point sliding between consecutive sizes' maps (which are in register, see
core.viz.layout), coloured by community as the live map is, with the size in a corner and the
community names on the map.

Frames are drawn here with numpy and Pillow rather than through kaleido: one browser render per
frame would take seconds each, a raster of a sample of points takes milliseconds. Encoding is
imageio's (Pillow for GIF, imageio-ffmpeg's bundled ffmpeg for MP4)."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.runtime.errors import ExplorerError
from core.runtime.progress import Progress, silent
from core.viz.layout import placed_sample
from core.viz.map_scene import MapScene
from core.viz.palette import community_colour
from core.viz.text import sample_note, shorten

SWEEP_FORMATS = ("gif", "mp4")
# More documents than this: the sweep follows a fixed sample (said in every frame), which keeps
# a 100k-document GIF well under 20 MB and its rendering to seconds.
SWEEP_POINT_LIMIT = 20_000
LABEL_CHARS = 34  # a community name on the map is cut to this many characters
LABEL_MIN_SHARE = 0.01  # communities with fewer of the drawn points than this are not named
BACKGROUND = (255, 255, 255)
GREYS = 32  # grey levels in the GIF palette, for the antialiased text
HALO = 2  # pixels of white around label text, so it reads over the points


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep looks and runs: frame size in pixels, frames per second, seconds held at each
    size and seconds moving between two sizes, and the most points drawn."""

    width: int = 720
    height: int = 720
    fps: int = 10
    hold: float = 1.0
    move: float = 1.2
    limit: int = SWEEP_POINT_LIMIT


@dataclass(frozen=True)
class Frame:
    """One picture of the sweep (height × width × 3 uint8) and how many frame times it lasts."""

    pixels: np.ndarray
    repeat: int


@dataclass(frozen=True)
class _Label:
    row: int  # the community's medoid among the drawn rows: the label rides on it
    text: str
    size: int  # font size in pixels


def sweep_bytes(
    scenes: Mapping[int, MapScene],
    fmt: str,
    *,
    title: str = "",
    options: SweepOptions = SweepOptions(),
    progress: Progress | None = None,
) -> bytes:
    """The sweep over every size in `scenes` (largest first) encoded as `fmt` (SWEEP_FORMATS):
    a GIF whose held frames last `hold` seconds, or an MP4 at `fps` frames per second.
    `progress(share, text)` hears of every frame rendered."""
    if fmt not in SWEEP_FORMATS:
        raise ValueError(f"unknown sweep format {fmt!r}")
    if len(scenes) < 2:
        raise ExplorerError("A sweep needs the maps of at least two sizes.")
    frames = sweep_frames(scenes, title=title, options=options)
    total = frame_count(len(scenes), options)
    say = progress or silent

    def counted() -> Iterator[Frame]:
        done = 0
        for frame in frames:
            yield frame
            done += frame.repeat
            say(done / total, f"rendering the sweep: frame {done} of {total}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"sweep.{fmt}"
        if fmt == "gif":
            groups = [np.unique(scene.colours.codes) for scene in scenes.values()]
            colours = [community_colour(c) for found in groups for c in found]
            _write_gif(counted(), path, options.fps, colours)
        else:
            _write_mp4(counted(), path, options.fps)
        return path.read_bytes()


def frame_count(sizes: int, options: SweepOptions = SweepOptions()) -> int:
    """Frame times in a sweep over `sizes` sizes: a hold at each, a move between each pair."""
    return sizes * _hold_frames(options) + (sizes - 1) * _move_frames(options)


def _hold_frames(options: SweepOptions) -> int:
    return max(1, round(options.hold * options.fps))


def _move_frames(options: SweepOptions) -> int:
    return max(1, round(options.move * options.fps))


def sweep_frames(
    scenes: Mapping[int, MapScene],
    *,
    title: str = "",
    options: SweepOptions = SweepOptions(),
) -> Iterator[Frame]:
    """The sweep's pictures, one at a time: each size held, then the points moving to the next
    smaller size's places (eased), where they take its colours and names halfway through.
    Each size's scene gives its positions and its groups with their names."""
    layouts = {dim: scene.coords for dim, scene in scenes.items()}
    labels = {dim: scene.colours.codes for dim, scene in scenes.items()}
    dims = sorted(layouts, reverse=True)
    n = len(labels[dims[0]])
    rows = placed_sample(n, options.limit)
    rows = rows[np.all([np.isfinite(layouts[d][rows]).all(axis=1) for d in dims], axis=0)]
    # a fixed shuffled drawing order, so no community is always painted on top of the others
    rows = rows[np.random.default_rng(0).permutation(len(rows))]
    canvas = _Canvas(options.width, options.height, np.vstack([layouts[d][rows] for d in dims]))
    note = sample_note(len(rows), n) if len(rows) < n else ""
    coords = {d: canvas.pixels(layouts[d][rows]) for d in dims}
    groups = {d: labels[d][rows] for d in dims}
    named = {d: community_labels(coords[d], groups[d], scenes[d].colours.names) for d in dims}
    # disc radii whose pixel stencils come out round
    radius = 3.2 if len(rows) <= 2_000 else 2.3 if len(rows) <= 10_000 else 1.5

    def picture(points: np.ndarray, dim: int, corner: str) -> np.ndarray:
        return canvas.draw(
            points, groups[dim], radius, named[dim], corner, f"{title}\n{note}".strip()
        )

    hold, move = _hold_frames(options), _move_frames(options)
    for step, dim in enumerate(dims):
        communities = np.unique(labels[dim]).size
        yield Frame(picture(coords[dim], dim, f"{dim} dims · {communities} communities"), hold)
        if step + 1 == len(dims):
            break
        after = dims[step + 1]
        for k in range(1, move + 1):
            t = k / (move + 1)
            eased = t * t * (3 - 2 * t)
            points = (1 - eased) * coords[dim] + eased * coords[after]
            shown = dim if t < 0.5 else after
            yield Frame(picture(points, shown, f"{dim} to {after} dims"), 1)


def community_labels(
    points: np.ndarray, groups: np.ndarray, names: Mapping[int, str]
) -> list[_Label]:
    """A label per community holding at least LABEL_MIN_SHARE of the points, placed at its
    medoid (the member nearest the members' mean) with a font size growing with its size,
    largest first."""
    ids, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if not len(ids):
        return []
    means = np.stack(
        [np.bincount(inverse, points[:, a], len(ids)) / counts for a in range(2)], axis=1
    )
    distance = ((points - means[inverse]) ** 2).sum(axis=1)
    # per community, the row with the smallest distance: sort by (community, distance)
    order = np.lexsort((distance, inverse))
    firsts = order[np.searchsorted(inverse[order], np.arange(len(ids)))]
    largest = counts.max()
    out = []
    for k in np.argsort(-counts, kind="stable").tolist():
        if counts[k] < LABEL_MIN_SHARE * len(groups):
            break
        text = shorten(names.get(int(ids[k]), str(ids[k])), LABEL_CHARS)
        out.append(_Label(int(firsts[k]), text, 13 + round(9 * np.sqrt(counts[k] / largest))))
    return out


@functools.cache
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's own FreeType font: on every machine


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


class _Canvas:
    """Pixel geometry shared by every frame (one scale for all sizes, equal on both axes, with
    room for the corner texts), and the drawing of one frame."""

    TOP, BOTTOM, SIDE = 56, 40, 24

    def __init__(self, width: int, height: int, every: np.ndarray):
        self.width, self.height = width, height
        low, high = every.min(axis=0), every.max(axis=0)
        span = np.maximum(high - low, 1e-9)
        inner = np.array([width - 2 * self.SIDE, height - self.TOP - self.BOTTOM], dtype=float)
        self.scale = float((inner / span).min())
        self.centre = (low + high) / 2
        self.middle = np.array([width / 2, self.TOP + inner[1] / 2])

    def pixels(self, coords: np.ndarray) -> np.ndarray:
        """Map coordinates to pixel positions (y down)."""
        offset = (coords - self.centre) * self.scale
        return self.middle + offset * np.array([1.0, -1.0])

    def draw(
        self,
        points: np.ndarray,
        groups: np.ndarray,
        radius: float,
        labels: list[_Label],
        corner: str,
        foot: str,
    ) -> np.ndarray:
        from PIL import Image

        pixels = np.full((self.height, self.width, 3), BACKGROUND, dtype=np.uint8)
        colours = {int(c): _rgb(community_colour(c)) for c in np.unique(groups).tolist()}
        paint = np.array([colours[int(c)] for c in groups], dtype=np.uint8).reshape(-1, 3)
        centre = np.rint(points).astype(np.int64)
        reach = int(np.ceil(radius))
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                if dx * dx + dy * dy > radius * radius:
                    continue
                x, y = centre[:, 0] + dx, centre[:, 1] + dy
                inside = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height)
                pixels[y[inside], x[inside]] = paint[inside]
        image = Image.fromarray(pixels)
        _draw_labels(image, points, labels)
        heading = _text_sprite(corner, 24, (20, 20, 20))
        image.paste(heading, (self.SIDE, 14), heading)
        bottom = self.height - 8
        for line in reversed(foot.splitlines()):
            note = _text_sprite(line, 13, (70, 70, 70))
            bottom -= note.height
            image.paste(note, (self.SIDE, bottom), note)
        return np.asarray(image)


def _draw_labels(image, points: np.ndarray, labels: list[_Label]) -> None:
    """Each community's name centred on its medoid (moved inside the frame where it would
    stick out), dark on a white halo, largest first; a label that would overlap one already
    drawn is left out."""
    taken: list[tuple[int, int, int, int]] = []
    for label in labels:
        sprite = _text_sprite(label.text, label.size)
        w, h = sprite.size
        x, y = points[label.row]
        left = int(min(max(x - w / 2, 0), image.width - w))
        top = int(min(max(y - h / 2, 0), image.height - h))
        box = (left, top, left + w, top + h)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            continue
        taken.append(box)
        image.paste(sprite, box[:2], sprite)


@functools.lru_cache(maxsize=512)
def _text_sprite(text: str, size: int, colour: tuple[int, int, int] = (15, 15, 15)):
    """The text drawn once, dark on a white halo over transparency, cropped to its ink: every
    frame pastes it rather than rendering the glyphs again."""
    from PIL import Image, ImageDraw

    font = _font(size)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font, stroke_width=HALO)
    sprite = Image.new("RGBA", (right - left, bottom - top), (*BACKGROUND, 0))
    ImageDraw.Draw(sprite).text(
        (-left, -top), text, fill=colour, font=font, stroke_width=HALO, stroke_fill=BACKGROUND
    )
    return sprite


def _palette(colours: list[str]) -> np.ndarray:
    """The GIF's one palette (256 × 3): white, the communities' colours, then a ramp of greys
    for the antialiased text."""
    table = np.zeros((256, 3), dtype=np.uint8)
    listed = [BACKGROUND, *dict.fromkeys(_rgb(c) for c in colours)][: 256 - GREYS]
    table[: len(listed)] = listed
    table[len(listed) : len(listed) + GREYS] = np.linspace(0, 255, GREYS).astype(np.uint8)[:, None]
    return table


def _write_gif(frames: Iterator[Frame], path: Path, fps: int, colours: list[str]) -> None:
    """Frames quantised to one fixed palette (no dithering, so flat colours stay flat), each
    lasting its repeats' time. Pillow writes it directly: imageio's Pillow plugin, given a
    palette, remaps it in every frame, which took most of the sweep's time."""
    from PIL import Image

    palette = Image.new("P", (1, 1))
    palette.putpalette(_palette(colours).tobytes())
    images, durations = [], []
    for frame in frames:
        image = Image.fromarray(frame.pixels).quantize(palette=palette, dither=Image.Dither.NONE)
        images.append(image)
        durations.append(round(1000 * frame.repeat / fps))
    images[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )


def _write_mp4(frames: Iterator[Frame], path: Path, fps: int) -> None:
    """H.264 in yuv420p (what every player opens), each frame written as often as it repeats."""
    import imageio.v2 as iio

    writer = iio.get_writer(
        path,
        format="FFMPEG",
        fps=fps,
        codec="libx264",
        quality=6,
        pixelformat="yuv420p",
        macro_block_size=16,
        ffmpeg_log_level="error",
    )
    try:
        for frame in frames:
            for _ in range(frame.repeat):
                writer.append_data(frame.pixels)
    finally:
        writer.close()
