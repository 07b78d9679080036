"""The pictures of a pipeline's results that pages and the CLI show more than once, built by
core.viz and kept in the pipeline's store: hover texts, the map's names and exported figure, the
network page, the Sankey, the ladder animation and the ladder in one image. Plotting libraries
are imported when a picture is first asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.pipeline import Pipeline

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from core.viz.map_labels import LabelLevels

EXPORT_SIZE = (1200, 800)  # width and height in pixels of an exported map


def hovers(pipe: Pipeline) -> list[str]:
    """Escaped hover text per document (id, label, excerpt)."""
    from core.viz.figures import hover_texts

    corpus = pipe.corpus
    return pipe.store.memo(
        pipe.keys.hovers(), lambda: hover_texts(corpus.texts, corpus.ids, corpus.labels)
    )


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
        lambda: sankey_figure(
            sankey_data(*pipe.lineage()), title="Communities across the ladder", height=700
        ),
    )


def animation(pipe: Pipeline):
    """The ladder animation once every size's map is ready, else None."""
    from core.viz.figures import ladder_animation

    layouts = pipe.stored_layouts()
    if len(layouts) < len(pipe.dims):
        return None
    views = pipe.views()
    return pipe.per_ladder(
        "animation",
        lambda: ladder_animation(
            layouts, {d: views[d].communities for d in pipe.dims}, hovers(pipe)
        ),
    )


def map_title(pipe: Pipeline, dim: int, is_umap: bool) -> str:
    """A map's title: corpus, model, size and order, and "PCA preview" until the UMAP map is
    made (the picture and its exports say what they show)."""
    choice = pipe.choice
    title = (
        f"{pipe.corpus.name} · {choice.spec.key} · {dim} of {pipe.full} dims "
        f"({choice.ordering} order)"
    )
    return title if is_umap else f"{title} · PCA preview"


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


def map_export(pipe: Pipeline, dim: int, *, labelled: bool = True) -> go.Figure:
    """The map of one size as exported (EXPORT_SIZE): the UMAP map when made, else the PCA
    preview, titled as such; names on it unless `labelled` is False."""
    from core.viz.figures import map_figure

    coords, is_umap = pipe.map_coords(dim)
    width, height = EXPORT_SIZE
    return map_figure(
        coords,
        pipe.view(dim).communities,
        pipe.names(dim),
        hovers(pipe),
        title=map_title(pipe, dim, is_umap),
        width=width,
        height=height,
        map_labels=label_levels(pipe, dim) if labelled else None,
    )


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
    from core.viz.map_labels import keyword_names
    from core.viz.small_multiples import small_multiples

    layouts = pipe.stored_layouts()
    views = pipe.views()
    k = views[pipe.full].neighbours.indices.shape[1]
    choice = pipe.choice
    return small_multiples(
        layouts,
        {d: v.communities for d, v in views.items()},
        {d: keyword_names(v.keywords, 2) for d, v in views.items()},
        {d: v.mean_recall for d, v in views.items()},
        title=f"{pipe.corpus.name} · {choice.spec.key} · every size of the embedding "
        f"({choice.ordering} order)",
        recall_name=f"recall@{k}",
        labelled=labelled,
    )
