"""The sweep files (core/viz/sweep.py), read back with imageio: frames, timing, size, colours."""

from __future__ import annotations

import io

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from core.runtime.errors import ExplorerError
from core.viz.palette import community_colour
from core.viz.sweep import (
    SWEEP_POINT_LIMIT,
    SweepOptions,
    community_labels,
    frame_count,
    sweep_bytes,
    sweep_frames,
)
from tests.support import clustered_ladder, ladder_scenes

DIMS = (256, 64, 16, 4)
QUICK = SweepOptions(width=320, height=240, fps=10, hold=0.5, move=0.4)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _colours(frame: np.ndarray) -> set[tuple[int, int, int]]:
    return set(map(tuple, np.unique(frame.reshape(-1, 3), axis=0).tolist()))


@pytest.fixture(scope="module")
def ladder():
    return clustered_ladder(3_000, DIMS, 8)


def test_gif_has_a_frame_per_picture_lasting_the_planned_time(ladder):
    data = sweep_bytes(ladder_scenes(*ladder), "gif", options=QUICK)
    frames = iio.imread(data, index=None, extension=".gif")
    # a held size is one frame (5 frame times long), each move 4 frames of its own
    assert frames.shape == (4 + 3 * 4, 240, 320, 3)
    with Image.open(io.BytesIO(data)) as gif:
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
    assert durations[:6] == [500, 100, 100, 100, 100, 500]
    assert sum(durations) == 1000 * frame_count(len(DIMS), QUICK) / QUICK.fps
    assert iio.immeta(data, extension=".gif")["loop"] == 0
    assert not np.array_equal(frames[0], frames[-1])
    assert len(data) < 2_000_000


def test_mp4_plays_every_frame_time_at_the_given_rate(ladder):
    data = sweep_bytes(ladder_scenes(*ladder), "mp4", options=QUICK)
    assert data[4:8] == b"ftyp"
    meta = iio.immeta(data, extension=".mp4", plugin="FFMPEG")
    assert meta["fps"] == QUICK.fps
    assert meta["size"] == (320, 240)
    assert meta["codec"] == "h264"
    frames = list(iio.imiter(data, extension=".mp4", plugin="FFMPEG"))
    assert len(frames) == frame_count(len(DIMS), QUICK) == 4 * 5 + 3 * 4
    assert meta["duration"] == pytest.approx(len(frames) / QUICK.fps, abs=0.11)
    assert frames[0].shape == (240, 320, 3)
    # lossy, but the first and last sizes are clearly different pictures
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 2


def test_points_take_each_sizes_community_colours(ladder):
    layouts, labels, names = ladder
    frames = list(sweep_frames(ladder_scenes(layouts, labels, names), options=QUICK))
    first, last = frames[0].pixels, frames[-1].pixels
    eight = {_rgb(community_colour(c)) for c in np.unique(labels[256])}
    assert len(eight) == 8 and eight <= _colours(first)
    # at 4 dims the eight blobs have merged into one community: one colour left
    (merged,) = np.unique(labels[4])
    assert _rgb(community_colour(merged)) in _colours(last)
    assert not (eight - {_rgb(community_colour(merged))}) & _colours(last)
    # a frame in the middle of the first move is neither end
    middle = frames[1 + 2].pixels
    assert not np.array_equal(middle, first) and not np.array_equal(middle, frames[5].pixels)


def test_a_large_corpus_is_sampled_and_says_so_within_the_size_bound():
    layouts, labels, names = clustered_ladder(100_000, (256, 32, 8), 32, seed=1)
    options = SweepOptions()
    frames = list(sweep_frames(ladder_scenes(layouts, labels, names), options=options))
    whole = list(
        sweep_frames(
            ladder_scenes(*clustered_ladder(5_000, (256, 32, 8), 32, seed=1)), options=options
        )
    )
    # the sample note sits in the bottom left corner; a corpus drawn whole has none
    foot = (slice(options.height - 40, options.height), slice(0, 360))
    assert (frames[0].pixels[foot] < 128).any()
    assert not (whole[0].pixels[foot] < 128).any()
    data = sweep_bytes(ladder_scenes(layouts, labels, names), "gif", options=options)
    assert len(data) < 20_000_000
    assert SWEEP_POINT_LIMIT < 100_000


def test_community_label_sits_on_the_medoid_and_small_ones_get_none():
    points = np.array([[0, 0], [1, 0], [2, 0], [10, 10], [11, 11], [50, 50]], dtype=float)
    points = np.repeat(points, [30, 30, 30, 40, 40, 1], axis=0)
    groups = np.repeat([0, 0, 0, 1, 1, 2], [30, 30, 30, 40, 40, 1])
    labels = community_labels(points, groups, {0: "zero · a, b", 1: "one · c, d"})
    assert [label.text for label in labels] == ["zero · a, b", "one · c, d"]
    assert points[labels[0].row].tolist() == [1, 0]  # the middle of the three columns
    assert labels[0].size > labels[1].size  # 90 points against 80
    # community 2 holds one point of 171, under LABEL_MIN_SHARE


def test_a_single_size_or_an_unknown_format_is_refused(ladder):
    layouts, labels, names = ladder
    with pytest.raises(ExplorerError, match="at least two sizes"):
        sweep_bytes(ladder_scenes({256: layouts[256]}, labels, names), "gif")
    with pytest.raises(ValueError, match="unknown sweep format"):
        sweep_bytes(ladder_scenes(layouts, labels, names), "avi")
