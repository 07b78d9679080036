"""The pictures of a pipeline's results that pages and the CLI show more than once, built by
core.viz and kept in the pipeline's store: hover texts, what can colour a map and how well it
separates, the documents a search finds, the network page, the Sankey, the ladder animation
and the sweep files. Plotting libraries are imported when a picture is first asked for."""

from __future__ import annotations

from core.pipeline import Pipeline, Progress


def hovers(pipe: Pipeline) -> list[str]:
    """Escaped hover text per document (id, label, excerpt)."""
    from core.viz.figures import hover_texts

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


def sweep(pipe: Pipeline, fmt: str, progress: Progress | None = None) -> bytes | None:
    """The ladder sweep as a GIF or MP4 (core.viz.sweep) once every size's map is ready, else
    None; rendered once per ladder, `progress(share, text)` hearing of each frame."""
    from core.viz.sweep import sweep_bytes

    layouts = pipe.stored_layouts()
    if len(layouts) < len(pipe.dims):
        return None
    dims, labels, names = pipe.lineage()
    corpus, choice = pipe.corpus, pipe.choice
    title = f"{corpus.name} · {choice.spec.key} · {choice.ordering} order"
    return pipe.per_ladder(
        f"sweep-{fmt}",
        lambda: sweep_bytes(layouts, labels, names, fmt, title=title, progress=progress),
    )


def made_sweep(pipe: Pipeline, fmt: str) -> bytes | None:
    """The sweep in `fmt` if it has been rendered for this ladder, without rendering it."""
    return pipe.store.get(pipe.keys.per_ladder(f"sweep-{fmt}"))
