"""The pictures of a pipeline's results that pages and the CLI show more than once, built by
core.viz and kept in the pipeline's store: hover texts, what can colour a map and how well it
separates, the documents a search finds, the map's names and exported figure, the network page,
the Sankey, the ladder animation, the ladder in one image and the sweep files. Plotting
libraries are imported when a picture is first asked for."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from core.pipeline import Pipeline, Progress
from core.viz.layout import SKETCH_SAMPLE

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from core.viz.map_labels import LabelLevels
    from core.viz.map_scene import MapScene

EXPORT_SIZE = (1200, 800)  # width and height in pixels of an exported map


def hovers(pipe: Pipeline) -> list[str]:
    """Escaped hover text per document (id, label, excerpt)."""
    from core.viz.text import hover_texts

    corpus = pipe.corpus
    return pipe.store.memo(
        pipe.keys.hovers(), lambda: hover_texts(corpus.texts, corpus.ids, corpus.labels)
    )


def colour_columns(pipe: Pipeline) -> dict:
    """The corpus's columns a map can be coloured by, by name (core.io.corpus.colour_columns)."""
    from core.io.corpus import colour_columns as columns_of

    return pipe.store.memo(pipe.keys.colour_columns(), lambda: columns_of(pipe.corpus))


def found_rows(pipe: Pipeline, query: str):
    """Whether each document's text or id contains every word of `query` (a bool array; see
    core.analysis.text_match), or None for a query without words."""
    from core.analysis.text_match import matching_rows, query_words

    if not query_words(query):
        return None
    corpus = pipe.corpus
    words = " ".join(query_words(query))
    return pipe.store.memo(
        pipe.keys.matches(words), lambda: matching_rows(corpus.texts, corpus.ids, words)
    )


def highlight(pipe: Pipeline, query: str) -> tuple[np.ndarray | None, str]:
    """The documents found by `query` (found_rows) and the note saying how many, or (None, "")
    for a query without words."""
    found = found_rows(pipe, query)
    if found is None:
        return None, ""
    return found, f"{int(found.sum()):,} of {found.size:,} documents contain “{query.strip()}”"


def separation(pipe: Pipeline, column):
    """How well a categorical column separates at each size computed so far: kNN purity (and
    its chance level) and the AMI of the communities against it, largest size first."""
    from core.analysis.colour_by import separation_table, size_separation

    rows = {
        dim: pipe.store.memo(
            pipe.keys.separation(dim, column.digest), lambda v=view: size_separation(v, column)
        )
        for dim, view in pipe.ready_views().items()
    }
    return separation_table(rows)


def network_html(pipe: Pipeline, dim: int) -> str:
    """The interactive network at one size, placed at the map's coordinates (the PCA preview's
    until the UMAP map is ready)."""
    from core.viz.network import build_network_html

    coords, is_umap = pipe.map_coords(dim)
    view = pipe.view(dim)
    corpus = pipe.corpus
    return pipe.store.memo(
        pipe.keys.network(dim, is_umap),
        lambda: build_network_html(
            coords, view.graph, view.communities, pipe.names(dim), corpus.texts, corpus.ids
        ),
    )


def sankey(pipe: Pipeline):
    """The Sankey figure of communities across the ladder, crossings reduced once."""
    from core.analysis.lineage import sankey_data
    from core.viz.lineage_plots import sankey_figure

    return pipe.per_ladder(
        "sankey",
        lambda: sankey_figure(sankey_data(*pipe.lineage()), title="Communities across the ladder"),
    )


def animation(pipe: Pipeline):
    """The ladder animation once every size's map is ready, else None."""
    from core.viz.animation_plot import ladder_animation

    if not ladder_ready(pipe):
        return None
    return pipe.per_ladder("animation", lambda: ladder_animation(ladder_scenes(pipe), hovers(pipe)))


def sweep(pipe: Pipeline, fmt: str, progress: Progress | None = None) -> bytes | None:
    """The ladder sweep as a GIF or MP4 (core.viz.sweep) once every size's map is ready, else
    None; rendered once per ladder, `progress(share, text)` hearing of each frame."""
    from core.viz.sweep import sweep_bytes

    if not ladder_ready(pipe):
        return None
    corpus, choice = pipe.corpus, pipe.choice
    title = f"{corpus.name} · {choice.spec.key} · {choice.ordering} order"
    return pipe.per_ladder(
        f"sweep-{fmt}",
        lambda: sweep_bytes(ladder_scenes(pipe), fmt, title=title, progress=progress),
    )


def made_sweep(pipe: Pipeline, fmt: str) -> bytes | None:
    """The sweep in `fmt` if it has been rendered for this ladder, without rendering it."""
    return pipe.store.get(pipe.keys.per_ladder(f"sweep-{fmt}"))


# What a map that is not yet its size's UMAP map shows, said beside it
PREVIEW_NOTES = {
    "pca": "PCA preview: the UMAP map of this size is still being computed",
    "sketch": (
        f"Sketch: UMAP of {SKETCH_SAMPLE:,} documents, the others placed beside their nearest "
        "sampled documents; the full UMAP map refines it in place"
    ),
}


def map_kind(pipe: Pipeline, dim: int) -> str:
    """What the map of dim shows now: "umap", the full size's "sketch", or the "pca" preview."""
    if pipe.map_coords(dim)[1]:
        return "umap"
    return "sketch" if pipe.sketched(dim) is not None else "pca"


def map_title(pipe: Pipeline, dim: int, is_umap: bool) -> str:
    """A map's title: corpus, model, size and order, and "sketch" or "PCA preview" until the
    UMAP map is made (the picture and its exports say what they show)."""
    choice = pipe.choice
    title = (
        f"{pipe.corpus.name} · {choice.spec.key} · {dim} of {pipe.full} dims "
        f"({choice.ordering} order)"
    )
    if is_umap:
        return title
    if pipe.sketched(dim) is not None:
        return f"{title} · sketch (UMAP of {SKETCH_SAMPLE:,} documents, the rest placed near them)"
    return f"{title} · PCA preview"


def label_levels(pipe: Pipeline, dim: int) -> LabelLevels:
    """The names on a map of one size: its communities' keywords, and in large type the
    communities of the size with a handful of them (core.analysis.lineage.coarse_size, among
    the sizes computed so far), each of dim's communities counted under its parent there."""
    from core.analysis.lineage import coarse_size, parent_communities
    from core.viz.map_labels import LabelLevels, keyword_names

    view = pipe.view(dim)
    views = {**pipe.ready_views(), dim: view}
    fine = keyword_names(view.keywords)
    coarse = coarse_size({d: v.community_count for d, v in views.items()}, dim)
    if coarse is None:
        return LabelLevels(fine)

    def groups() -> np.ndarray:
        parents = parent_communities(view.communities, views[coarse].communities)
        ids, inverse = np.unique(view.communities, return_inverse=True)
        return np.array([parents[c] for c in ids.tolist()], dtype=np.int64)[inverse]

    coarse_groups = pipe.per_ladder(f"label-parents-{dim}-{coarse}", groups)
    return LabelLevels(fine, coarse_groups, keyword_names(views[coarse].keywords, 2))


def map_scene(
    pipe: Pipeline, dim: int, *, column=None, query: str = "", labelled: bool = True
) -> MapScene:
    """One size's map as every renderer draws it (core.viz.map_scene): the UMAP map when made,
    else the preview, titled as such; coloured by community or by `column`
    (core.analysis.colour_by.Column), with the documents containing `query` highlighted; names
    on it (label_levels, or a category column's) unless `labelled` is False."""
    from core.analysis.colour_by import grouping
    from core.viz.map_labels import LabelLevels
    from core.viz.map_scene import MapScene

    coords, is_umap = pipe.map_coords(dim)
    colours = grouping(column, pipe.view(dim).communities, pipe.names(dim))
    names = None
    if labelled and colours.values is None:
        names = label_levels(pipe, dim) if column is None else LabelLevels(colours.names)
    found, note = highlight(pipe, query)
    return MapScene(coords, colours, names, found, note, map_title(pipe, dim, is_umap), is_umap)


def sketch_scene(pipe: Pipeline, dim: int) -> MapScene | None:
    """The first map of a large corpus, before its communities (the full size's sketch), as
    one group of documents; None until the sketch is made."""
    from core.analysis.colour_by import Grouping
    from core.viz.map_scene import MapScene

    sketch = pipe.sketched(dim)
    if sketch is None:
        return None
    colours = Grouping("community", np.zeros(len(pipe.corpus), dtype=np.int64), {0: "documents"})
    return MapScene(sketch, colours, title=map_title(pipe, dim, is_umap=False), is_umap=False)


def map_export(
    pipe: Pipeline, dim: int, *, column=None, query: str = "", labelled: bool = True
) -> go.Figure:
    """The map of one size as exported (EXPORT_SIZE): map_scene's, drawn by plotly."""
    from core.viz.map_plot import map_figure

    width, height = EXPORT_SIZE
    scene = map_scene(pipe, dim, column=column, query=query, labelled=labelled)
    return map_figure(scene, hovers(pipe), width=width, height=height)


def ladder_scenes(pipe: Pipeline) -> dict[int, MapScene]:
    """Every size's map_scene coloured by community, without names (each ladder picture names
    the communities its own way)."""
    return {d: map_scene(pipe, d, labelled=False) for d in pipe.dims}


def ladder_ready(pipe: Pipeline) -> bool:
    """Whether every size's UMAP map is made (the ladder's image needs them all)."""
    return len(pipe.stored_layouts()) == len(pipe.dims)


def ladder_figure(pipe: Pipeline, *, labelled: bool = True) -> go.Figure | None:
    """The ladder in one image (core.viz.small_multiples) once every size's UMAP map is made,
    else None."""
    if not ladder_ready(pipe):
        return None
    return pipe.per_ladder(f"ladder-figure-{labelled}", lambda: _ladder_figure(pipe, labelled))


def _ladder_figure(pipe: Pipeline, labelled: bool) -> go.Figure:
    from core.viz.map_labels import LabelLevels, keyword_names
    from core.viz.small_multiples import small_multiples

    views = pipe.views()
    scenes = ladder_scenes(pipe)
    if labelled:  # a small panel carries each community's two first keywords
        scenes = {
            d: replace(scene, names_on_map=LabelLevels(keyword_names(views[d].keywords, 2)))
            for d, scene in scenes.items()
        }
    k = views[pipe.full].neighbours.indices.shape[1]
    choice = pipe.choice
    return small_multiples(
        scenes,
        {d: v.mean_recall for d, v in views.items()},
        title=f"{pipe.corpus.name} · {choice.spec.key} · every size of the embedding "
        f"({choice.ordering} order)",
        recall_name=f"recall@{k}",
    )


@dataclass(frozen=True)
class MapPart:
    """One pack of the WebGL map's data (core.viz.map_data): a key naming everything it
    depends on, and the pack, built when first asked for and kept in the store."""

    key: str
    pack: Callable[[], bytes]


@dataclass(frozen=True)
class MapParts:
    """Everything the WebGL map draws: the hover texts, the paint (a column's colours and the
    Find highlight), and a pack per ready size."""

    texts: MapPart
    paint: MapPart
    sizes: dict[int, MapPart]

    def all(self) -> list[MapPart]:
        return [self.texts, self.paint, *self.sizes.values()]


def _part(pipe: Pipeline, what: tuple, build: Callable[[], bytes]) -> MapPart:
    key = (*pipe.keys.per_ladder("webgl-map"), *what)
    digest = hashlib.blake2b(repr(key).encode(), digest_size=10).hexdigest()
    return MapPart(f"{what[0]}-{digest}", lambda: pipe.store.memo(key, build))


def map_parts(pipe: Pipeline, *, column=None, query: str = "", labelled: bool = True) -> MapParts:
    """The WebGL map's packs for every size whose graph is ready (its UMAP map when made, else
    the PCA preview), coloured by community or by `column` (core.analysis.colour_by.Column),
    the documents containing `query` highlighted, names on it unless `labelled` is False."""
    from core.analysis.lineage import coarse_size
    from core.analysis.text_match import query_words
    from core.viz import map_data
    from core.viz.layout import map_rows
    from core.viz.text import hover_lines

    corpus = pipe.corpus
    rows = map_rows(len(corpus))
    views = pipe.ready_views()
    counts = {d: v.community_count for d, v in views.items()}
    title = f"{corpus.name} · {pipe.choice.spec.key} · {pipe.choice.ordering} order"

    def texts() -> bytes:
        lines = hover_lines(corpus.texts, corpus.ids, corpus.labels, rows)
        return map_data.text_pack(rows, lines, title=title)

    sizes = {}
    for dim in sorted(views, reverse=True):
        kind = map_kind(pipe, dim)
        coarse = coarse_size(counts, dim) if labelled else None

        def size(dim=dim, kind=kind) -> bytes:
            scene = map_scene(pipe, dim, labelled=labelled)
            return map_data.size_pack(dim, scene, rows, note=PREVIEW_NOTES.get(kind, ""))

        sizes[dim] = _part(pipe, ("size", dim, kind, labelled, coarse), size)

    words = " ".join(query_words(query))
    placed = tuple((d, map_kind(pipe, d)) for d in sorted(views))
    digest = None if column is None else column.digest

    def paint() -> bytes:
        found, note = highlight(pipe, query)
        if column is None:
            return map_data.paint_pack(rows, highlight=found, note=note)
        scenes = {d: map_scene(pipe, d, column=column, labelled=labelled) for d in views}
        labels = {
            d: map_data.scene_labels(scene, rows)
            for d, scene in scenes.items()
            if scene.names_on_map is not None
        }
        colours = map_data.scene_paint(next(iter(scenes.values())))
        return map_data.paint_pack(rows, paint=colours, labels=labels, highlight=found, note=note)

    paint_key = ("paint", digest, words, labelled, placed if column is not None else ())
    return MapParts(_part(pipe, ("texts",), texts), _part(pipe, paint_key, paint), sizes)


def ladder_html(pipe: Pipeline, *, column=None, query: str = "", labelled: bool = True) -> str:
    """The ladder as one self-contained HTML file (core.viz.ladder_html): every ready size of
    the WebGL map with its slider, play, names, colours and hover, nothing fetched."""
    from core.viz.ladder_html import standalone_html

    parts = map_parts(pipe, column=column, query=query, labelled=labelled)
    title = f"{pipe.corpus.name} · {pipe.choice.spec.key} · the ladder"
    return standalone_html([part.pack() for part in parts.all()], title=title)
