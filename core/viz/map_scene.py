"""One size's map as plain data, built once from a pipeline (core.pictures.map_scene) and read
by every renderer: the plotly map and its exports (core.viz.map_plot), the WebGL map's packs
(core.viz.map_data), the ladder's image, animation and sweep. Renderers only draw it. Hover
text is the corpus's, not a size's, so it travels beside the scene, in the format each
renderer shows (core.viz.text)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.colour_by import Grouping
from core.viz.map_labels import LabelLevels


@dataclass(frozen=True)
class MapScene:
    """Positions (n × 2, NaN where a row is not placed); what colours the points (a group per
    row with its names, or a number per row on a scale); the names written over them (None:
    none); the Find highlight (a bool per row; None: no search) and its note; the title, and
    whether the positions are the UMAP map (else a preview)."""

    coords: np.ndarray
    colours: Grouping
    names_on_map: LabelLevels | None = None
    highlight: np.ndarray | None = None
    highlight_note: str = ""
    title: str = ""
    is_umap: bool = True
