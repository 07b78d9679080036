"""The ladder animation: the map played through every size as plotly frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from core.viz.layout import placed_sample
from core.viz.map_plot import TEXT_HOVER
from core.viz.map_scene import MapScene
from core.viz.palette import PALETTE
from core.viz.style import add_note, map_layout
from core.viz.text import sample_note

ANIMATION_POINT_LIMIT = 3_000  # the ladder animation follows a fixed sample of this size


def _palette_scale() -> list[list]:
    """A stepped colorscale taking code c (with cmin -0.5, cmax len(PALETTE) - 0.5) to
    PALETTE[c]."""
    k = len(PALETTE)
    return [[edge / k, colour] for c, colour in enumerate(PALETTE) for edge in (c, c + 1)]


def ladder_animation(
    scenes: Mapping[int, MapScene],
    hover: Sequence[str],
    *,
    title: str = "",
    height: int = 650,
    limit: int = ANIMATION_POINT_LIMIT,
) -> go.Figure:
    """The map played through the ladder (largest size first, then back up): one frame per size
    over a fixed sample of at most `limit` documents. Points keep their order in every frame, so
    plotly moves them smoothly (SVG markers: WebGL would jump); frames carry only float32
    positions and uint8 colour codes, and hover text is sent once. `scenes`: each size's map,
    coloured by its groups."""
    layouts = {dim: scene.coords for dim, scene in scenes.items()}
    labels = {dim: scene.colours.codes for dim, scene in scenes.items()}
    down = sorted(layouts, reverse=True)
    sequence = down + down[-2:0:-1]
    n = len(hover)
    rows = placed_sample(n, limit)

    def points(dim: int, **extra) -> go.Scatter:
        return go.Scatter(
            x=layouts[dim][rows, 0].astype(np.float32),
            y=layouts[dim][rows, 1].astype(np.float32),
            marker={"color": (labels[dim][rows] % len(PALETTE)).astype(np.uint8)},
            **extra,
        )

    def caption(dim: int) -> str:
        return f"{dim} dims · {np.unique(labels[dim]).size} communities"

    frames = [
        go.Frame(data=[points(dim)], name=f"{step}", layout={"title": {"text": caption(dim)}})
        for step, dim in enumerate(sequence)
    ]
    first = points(
        sequence[0],
        mode="markers",
        text=[hover[i] for i in rows],
        hovertemplate=TEXT_HOVER,
        showlegend=False,
    )
    first.marker.update(
        size=6 if len(rows) <= 2_000 else 3,
        colorscale=_palette_scale(),
        cmin=-0.5,
        cmax=len(PALETTE) - 0.5,
        showscale=False,
    )
    fig = go.Figure(data=[first], frames=frames)
    fig.update_layout(_controls(sequence))
    every = np.vstack([layouts[d][rows] for d in down])
    fig.update_layout(map_layout(title or caption(sequence[0]), None, height, every, 0.05))
    return add_note(fig, sample_note(len(rows), n)) if len(rows) < n else fig


def _controls(sequence: list[int]) -> dict:
    """The play and pause buttons and the size slider, one step per frame of `sequence`."""
    play = {
        "frame": {"duration": 900, "redraw": False},
        "transition": {"duration": 600},
        "fromcurrent": True,
    }
    return dict(
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": 1.08,
                "xanchor": "left",
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {
                        "label": "❚❚ Pause",
                        "method": "animate",
                        "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}],
                    },
                ],
            }
        ],
        sliders=[
            {
                "currentvalue": {"prefix": "dims: "},
                "steps": [
                    {
                        "label": str(dim),
                        "method": "animate",
                        "args": [
                            [f"{step}"],
                            {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"},
                        ],
                    }
                    for step, dim in enumerate(sequence)
                ],
            }
        ],
    )
