"""Explore: drag the dimension slider and watch the graph, communities and map change."""

import streamlit as st

from core import pictures
from core.analysis.ladder import community_summary
from core.io.export import (
    GRAPHML_DOCUMENT_LIMIT,
    edge_list_csv,
    export_name,
    figure_bytes,
    graph_bytes,
    to_networkx,
)
from core.runtime.errors import ExplorerError
from core.schedule.background import precompute, stopped_note
from core.viz.layout import SKETCH_SAMPLE, epochs_note
from core.viz.map_plot import LIVE_WEBGL_THRESHOLD, TABLE_HOVER_TEXT_LIMIT, hover_caption, map_spec
from core.viz.network import MAX_NETWORK_NODES
from core.viz.network_plot import network_figure
from core.viz.sweep import SWEEP_FORMATS, SWEEP_POINT_LIMIT
from pages import state, widgets
from pages.map_colour import keep_choices, map_colour_controls
from pages.map_view import map_view
from pages.webgl_map import follow_map_size, no_webgl, webgl_map

# label, format, MIME type of the graph downloads (up to GRAPHML_DOCUMENT_LIMIT documents)
GRAPH_FILES = (
    ("GraphML", "graphml", "application/xml"),
    ("GEXF", "gexf", "application/xml"),
    ("JSON", "json", "application/json"),
)

# format, MIME type of the ladder's picture
LADDER_FILES = (("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/pdf"))
MAP_KEY = "webgl_map"  # the WebGL map's component
SELECTION_ROWS = 500  # the selection's table lists this many documents at most

state.require_entrypoint()

st.title("Matryoshka Graph Explorer")
pipe = state.pipeline(every_size=False, sketch_first=True)
choice, corpus, dims, full = pipe.choice, pipe.corpus, pipe.dims, pipe.full
st.caption(state.ordering_note(choice))
if st.session_state.get("dim") not in dims:
    st.session_state.dim = full
VIEWS = ["Map", "Network", "Communities", "Play ladder"]
if st.session_state.get("view") not in VIEWS:  # the view picker never ends up empty
    st.session_state.view = "Map"
keep_choices()
# ?map=plotly asks for the plotly map, as drawn where WebGL2 is missing (its tests use it)
if st.query_params.get("map") == "plotly":
    st.session_state.plotly_map = True


@st.fragment
def explorer() -> None:
    """The size slider, then this size's numbers, the map's colour and search, the chosen view
    and the downloads."""
    follow_map_size(sorted(dims), key=MAP_KEY, slider="dim")
    dim = st.select_slider(
        "Embedding dimension (the first d dimensions, renormalised)",
        options=sorted(dims),
        key="dim",
        help="Drag to truncate the embedding; everything below is rebuilt for that size. The "
        "map's own slider moves between sizes without waiting for the server.",
    )
    job = precompute(pipe, focus=dim)
    view = pipe.ready_views().get(dim)
    if view is None:
        waiting(dim, job.status())
        return
    metrics(view)
    # Fixed slots for the notes that come and go, so the map keeps its place in the page: an
    # element that moves is mounted anew, and the map would lose its zoom and redraw from scratch.
    with st.empty():
        widgets.measure_note(pipe, dim)
    column, query = map_colour_controls(pipe, view)
    labelled = st.session_state.get("map_labels", True)
    stem = (corpus.name, choice.spec.key, choice.ordering, f"{dim}d")
    shown = st.segmented_control("View", VIEWS, key="view", label_visibility="collapsed")
    if shown == "Network":
        if view.graph.n > MAX_NETWORK_NODES:
            st.caption(
                f"Drawing a fixed sample of {MAX_NETWORK_NODES:,} of {view.graph.n:,} nodes."
            )
        st.iframe(pictures.network_html(pipe, dim), height=640)
    elif shown == "Communities":
        st.dataframe(community_summary(view, corpus.labels), hide_index=True)
    elif shown == "Play ladder":
        animation = pictures.animation(pipe)
        if animation is None:
            st.info("The animation is ready once every size's UMAP map is computed.")
        else:
            st.plotly_chart(animation, key="animation_chart")
            sweep_files(stem[:3])
    else:
        map_area(view, column, query, labelled)
    st.subheader("Export")
    downloads(view, column, query, labelled, stem)


def waiting(dim: int, status) -> None:
    """A size whose graph is still being computed: how far the work has got, and the sketch of
    a large corpus's map once it is made."""
    st.info(
        f"The graph for {dim} dims is still being computed in the background "
        f"({status.views} of {status.sizes} sizes ready); this view updates by itself."
    )
    scene = pictures.sketch_scene(pipe, dim)
    if scene is not None:
        hover = pictures.hovers(pipe)
        spec = map_spec(scene, hover, webgl_above=LIVE_WEBGL_THRESHOLD, text_by_row=True)
        revision = " · ".join(map(str, pipe.keys.ordered()))
        map_view(spec, key="map_chart", revision=revision, hover=hover)


def metrics(view) -> None:
    """This size's documents, edges, communities, recall against the full size and bytes."""
    cols = st.columns(5)
    cols[0].metric("Documents", f"{len(corpus):,}")
    cols[1].metric("Edges", f"{view.graph.edge_count:,}")
    cols[2].metric("Communities", view.community_count)
    k_used = view.neighbours.indices.shape[1]  # k is capped at n - 1 for tiny corpora
    cols[3].metric(f"Mean kNN recall@{k_used} vs {full}d", f"{view.mean_recall:.1%}")
    cols[4].metric("Bytes per vector (float32)", f"{view.dim * 4:,}")


def map_area(view, column, query: str, labelled: bool) -> None:
    """The map of this size (the WebGL map, or the plotly one where WebGL2 is missing), its
    names toggle and notes, and the documents selected on it."""
    dim = view.dim
    with st.empty():
        kind = pictures.map_kind(pipe, dim)
        if kind == "pca":
            st.info(
                f"Showing an instant PCA map while the UMAP map for {dim} dims is computed "
                "in the background; it replaces this one by itself."
            )
        elif kind == "sketch":
            st.info(
                f"Showing a sketch of the map while the full UMAP map for {dim} dims is "
                f"computed in the background: UMAP of {SKETCH_SAMPLE:,} documents, the others "
                "placed beside their nearest sampled documents. The full map refines it in place."
            )
    _, beside_legend = st.columns([4, 1])
    beside_legend.toggle(
        "Names on the map",
        key="map_labels",
        value=True,
        help="Each community's keywords at its place on the map, larger for larger "
        "communities, and in bold the communities of a size with a handful of them; "
        "communities too small for a name show theirs on hover.",
    )
    if no_webgl(MAP_KEY) or st.session_state.get("plotly_map"):
        if no_webgl(MAP_KEY):
            st.info(
                "This browser offers no WebGL2, so the map is drawn the older way: each "
                "size is sent by the server when the slider moves, and points jump "
                "between sizes."
            )
        plotly_map(dim, column, query, labelled)
    else:
        parts = pictures.map_parts(pipe, column=column, query=query, labelled=labelled)
        report = webgl_map(parts, dim, key=MAP_KEY, labelled=labelled)
        if note := epochs_note(len(corpus)):
            st.caption(note)
        selection(list(report.rows), view)


def plotly_map(dim: int, column, query: str, labelled: bool) -> None:
    """The map as plotly draws it, sent by the server at each size (where WebGL2 is missing)."""
    scene = pictures.map_scene(pipe, dim, column=column, query=query, labelled=labelled)
    hover = pictures.hovers(pipe)
    live = map_spec(scene, hover, webgl_above=LIVE_WEBGL_THRESHOLD, text_by_row=True)
    revision = " · ".join(map(str, (corpus.name, choice.spec.key, choice.ordering)))
    map_view(live, key="map_chart", revision=revision, hover=hover)
    for caption in (hover_caption(len(corpus), TABLE_HOVER_TEXT_LIMIT), epochs_note(len(corpus))):
        if caption:
            st.caption(caption)


def downloads(view, column, query: str, labelled: bool, stem: tuple) -> None:
    """The map, network, ladder, edges and graph downloads of this size, each drawn only when
    its button is clicked."""
    dim = view.dim
    coords, is_umap = pipe.map_coords(dim)
    title = pictures.map_title(pipe, dim, is_umap)

    def map_fig():
        return pictures.map_export(pipe, dim, column=column, query=query, labelled=labelled)

    def net_fig():
        hover = pictures.hovers(pipe)
        names = pipe.names(dim)
        return network_figure(coords, view.graph, view.communities, names, hover, title=title)

    def graph():
        return to_networkx(
            view.graph, view.communities, corpus.ids, corpus.texts, coords, corpus.labels
        )

    def ladder_html() -> bytes:
        return pictures.ladder_html(pipe, column=column, query=query, labelled=labelled).encode()

    files = [
        ("Map PNG", lambda: figure_bytes(map_fig(), "png"), "map", "png", "image/png"),
        ("Map SVG", lambda: figure_bytes(map_fig(), "svg"), "map", "svg", "image/svg+xml"),
        ("Network PNG", lambda: figure_bytes(net_fig(), "png"), "network", "png", "image/png"),
        ("Network SVG", lambda: figure_bytes(net_fig(), "svg"), "network", "svg", "image/svg+xml"),
        (
            "Network HTML",
            lambda: pictures.network_html(pipe, dim).encode("utf-8"),
            "network",
            "html",
            "text/html",
        ),
        ("Ladder HTML", ladder_html, "ladder", "html", "text/html"),
        (
            "Edges CSV",
            lambda: edge_list_csv(view.graph, corpus.ids).encode(),
            "edges",
            "csv",
            "text/csv",
        ),
    ]
    if len(corpus) <= GRAPHML_DOCUMENT_LIMIT:
        files += [
            (f"Graph {name}", lambda fmt=fmt: graph_bytes(graph(), fmt), "graph", fmt, mime)
            for name, fmt, mime in GRAPH_FILES
        ]
    widgets.download_row(files, stem)
    ladder_files(labelled, stem[:3])
    if len(corpus) > GRAPHML_DOCUMENT_LIMIT:
        st.caption(
            f"Above {GRAPHML_DOCUMENT_LIMIT:,} documents the graph downloads as the CSV edge list "
            "only: GraphML, GEXF and JSON would take gigabytes of server memory to build."
        )


def ladder_files(labelled: bool, stem: tuple) -> None:
    """The ladder in one image (PNG, SVG, PDF), at its own size, once every size's UMAP map is
    made."""
    if not pictures.ladder_ready(pipe):
        st.caption(
            "The ladder in one image (PNG, SVG, PDF: the map at every size side by side) can "
            "be downloaded once every size's UMAP map is computed."
        )
        return

    def ladder_bytes(fmt: str) -> bytes:
        return figure_bytes(pictures.ladder_figure(pipe, labelled=labelled), fmt)

    widgets.download_row(
        [
            (f"Ladder {fmt.upper()}", lambda fmt=fmt: ladder_bytes(fmt), "ladder", fmt, mime)
            for fmt, mime in LADDER_FILES
        ],
        stem,
    )


def selection(rows: list[int], view) -> None:
    """The documents box- or lasso-selected on the map, with their community at this size."""
    if not rows:
        st.caption("Box- or lasso-select points on the map to list those documents here.")
        return
    corpus = pipe.corpus
    names = pipe.names(view.dim)
    shown = rows[:SELECTION_ROWS]
    st.markdown(f"**{len(rows):,} documents selected on the map**")
    st.dataframe(
        {
            "id": [str(corpus.ids[r]) for r in shown],
            "community": [names.get(int(view.communities[r]), "") for r in shown],
            "text": [corpus.texts[r][:300] for r in shown],
        },
        hide_index=True,
        key="map_selection_table",
    )
    if len(rows) > SELECTION_ROWS:
        st.caption(f"The first {SELECTION_ROWS:,} of them.")


def sweep_files(stem: tuple) -> None:
    """The sweep (every size's map, largest to smallest) as a GIF and an MP4: each rendered
    when its button is clicked, with progress, then offered for download."""
    st.caption(
        "The sweep as a file: the map moving from the full size to the smallest, the size in "
        f"the corner and the communities named (above {SWEEP_POINT_LIMIT:,} documents a fixed "
        "sample, said in every frame)."
    )
    with st.container(horizontal=True):
        slots = {fmt: st.empty() for fmt in SWEEP_FORMATS}
    for fmt, slot in slots.items():
        name = fmt.upper()
        data = pictures.made_sweep(pipe, fmt)
        if data is None:
            if not slot.button(f"Make sweep {name}", key=f"make-sweep-{fmt}"):
                continue
            try:
                with st.status(f"Rendering the sweep as {name}…"), widgets.ProgressBar() as bar:
                    data = pictures.sweep(pipe, fmt, bar)
            except ExplorerError as error:
                widgets.show_error(error)
                continue
        slot.download_button(  # in the place of the button that made it
            f"Sweep {name} ({len(data) / 1e6:.1f} MB)",
            data=lambda data=data: data,  # handed over when clicked, not on every rerun
            file_name=export_name(*stem, "sweep", ext=fmt),
            mime="image/gif" if fmt == "gif" else "video/mp4",
            key=f"dl-sweep-{fmt}",
        )


@st.fragment(run_every=1.0)
def background_status() -> None:
    """While sizes are being computed: say how far it has got, and redraw the page each time a
    graph or a map becomes ready."""
    status = precompute(pipe, focus=st.session_state.dim).status()
    if status.error:
        st.error(f"Computing the sizes failed: {widgets.plain(status.error)}")
    elif status != st.session_state.get("shown_status"):
        st.session_state.shown_status = status
        st.rerun()
    elif not status.done:
        st.caption(
            f"Computing in the background: graphs {status.views}/{status.sizes} sizes, "
            f"UMAP maps {status.maps}/{status.sizes}. The slider works meanwhile."
        )
        if note := stopped_note(pipe):
            st.caption(note)


explorer()
if not precompute(pipe, focus=st.session_state.dim).status().done:
    background_status()
