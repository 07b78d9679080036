"""Export figures (PNG/SVG/PDF through kaleido), graphs (GraphML, GEXF, JSON, CSV) and the
fidelity, lineage and retrieval records (JSON)."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.analysis.graph import Graph
from core.runtime.errors import ExplorerError

if TYPE_CHECKING:  # plotly is only needed by callers that render figures
    import pandas as pd
    import plotly.graph_objects as go

    from core.analysis.retrieval import Recommended
    from core.io.queries import QuerySet

IMAGE_FORMATS = ("png", "svg", "pdf")
TREE_FORMATS = ("graphml", "json")
NODE_TEXT_CHARS = 500
# Above this many documents a graph is exported as the CSV edge list only (edge_list_csv):
# networkx, which writes GraphML, GEXF and JSON, holds about a kilobyte per edge.
GRAPHML_DOCUMENT_LIMIT = 200_000


def json_bytes(record: object) -> bytes:
    """Strict JSON of a record of dicts, lists and plain values: NaN and infinities, which
    strict readers refuse, are written as null."""
    return json.dumps(_finite(record), indent=1, allow_nan=False).encode()


def fidelity_json(table: pd.DataFrame, recommendation: str) -> bytes:
    """The fidelity table (core.analysis.fidelity) and the recommended size's sentence."""
    return json_bytes({"table": table.to_dict("records"), "recommendation": recommendation})


def lineage_json(
    dims: Sequence[int],
    labels: Mapping[int, np.ndarray],
    names: Mapping[int, Mapping[int, str]],
    steps: pd.DataFrame,
) -> bytes:
    """The lineage down the ladder: the sizes, each step's summary, the events (each with its
    sentence) and every size's communities and names."""
    from core.analysis.lineage import describe, lineage_events

    events = lineage_events(dims, labels, names)
    record = {
        "dims": dims,
        "steps": steps.to_dict("records"),
        "events": [{**event.__dict__, "text": describe(event)} for event in events],
        "communities": {str(d): labels[d].tolist() for d in dims},
        "names": {str(d): {str(c): n for c, n in names[d].items()} for d in dims},
    }
    return json_bytes(record)


def retrieval_json(
    table: pd.DataFrame, pick: Recommended, query_set: QuerySet, measure: str, keep: float
) -> bytes:
    """The retrieval table per size × precision, the queries it was measured on and the
    recommended configuration, which keeps `keep` of the full size's quality."""
    from core.analysis.retrieval import METRICS

    record = {
        "queries": query_set.name,
        "labels_as_answers": bool(query_set.from_labels),
        "metrics": list(METRICS),
        "measure": measure,
        "recommendation": pick.sentence,
        "recommended": {"dim": pick.dim, "precision": pick.precision, "keep": keep},
        "table": table.to_dict("records"),
    }
    return json_bytes(record)


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def export_name(*parts: object, ext: str) -> str:
    """A safe file name from parts: ("demo", "wordllama", "64d") -> "demo_wordllama_64d.png"."""
    cleaned = [re.sub(r"[^A-Za-z0-9.-]+", "-", str(p)).strip("-.") for p in parts]
    return "_".join(p for p in cleaned if p)[:120] + f".{ext}"


def figure_bytes(
    fig: go.Figure, fmt: str, *, width: int | None = None, height: int | None = None
) -> bytes:
    """Render a plotly figure with kaleido (system Chromium); a clear error when none is found.
    The size is `width` × `height`, else the figure's own (the lineage figures size themselves
    to their labels), else 1200 × 800."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}")
    width = width or fig.layout.width or 1200
    height = height or (fig.layout.height if fig.layout.width else None) or 800
    if fmt == "pdf":
        fig = _without_text_shadows(fig)
    try:
        return fig.to_image(format=fmt, width=width, height=height, scale=2 if fmt == "png" else 1)
    except Exception as exc:  # kaleido raises its own types when no browser can be started
        raise ExplorerError(
            f"Could not render the {fmt.upper()} image: {type(exc).__name__}: {str(exc)[:200]}. "
            "Image export needs Chromium or Chrome (on Debian: apt-get install chromium)."
        ) from exc


def _without_text_shadows(fig: go.Figure) -> go.Figure:
    """A copy of the figure whose annotations cast no text shadow: Chromium prints each shadow
    as another copy of the text, so a PDF's names would be found and copied several times."""
    import plotly.graph_objects as go

    plain = go.Figure(fig)
    plain.update_annotations(font_shadow="none")
    return plain


def to_networkx(
    graph: Graph,
    labels: np.ndarray,
    ids: Sequence[str],
    texts: Sequence[str],
    coords: np.ndarray | None = None,
    doc_labels: Sequence[str] | None = None,
):
    """A networkx Graph with node attributes (id, community, text, position, label) and weights."""
    import networkx as nx

    g = nx.Graph()
    for i in range(graph.n):
        attrs = {
            "doc_id": str(ids[i]),
            "community": int(labels[i]),
            "text": texts[i][:NODE_TEXT_CHARS],
        }
        if coords is not None and np.isfinite(coords[i]).all():  # unplaced rows have no x, y
            attrs["x"], attrs["y"] = float(coords[i, 0]), float(coords[i, 1])
        if doc_labels is not None:
            attrs["label"] = str(doc_labels[i])
        g.add_node(i, **attrs)
    for s, d, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True):
        g.add_edge(s, d, weight=float(w))
    return g


def graph_bytes(nx_graph, fmt: str) -> bytes:
    """Serialise a networkx graph: GraphML, GEXF or node-link JSON."""
    import networkx as nx

    if fmt == "graphml":
        buffer = io.BytesIO()
        nx.write_graphml(nx_graph, buffer)
        return buffer.getvalue()
    if fmt == "gexf":
        buffer = io.BytesIO()
        nx.write_gexf(nx_graph, buffer)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(nx.node_link_data(nx_graph, edges="edges"), ensure_ascii=False).encode()
    raise ValueError(f"unknown graph format {fmt!r}")


def tree_bytes(tree, fmt: str) -> bytes:
    """The cluster tree (core.analysis.lineage.cluster_tree) as GraphML or node-link JSON."""
    if fmt not in TREE_FORMATS:
        raise ValueError(f"unknown tree format {fmt!r}; choose one of {TREE_FORMATS}")
    return graph_bytes(tree, fmt)


def edge_list_csv(graph: Graph, ids: Sequence[str]) -> str:
    """The graph's edge list with document ids, straight from its arrays (no networkx, so any
    size): source,target,source_id,target_id,weight."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["source", "target", "source_id", "target_id", "weight"])
    edges = zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    writer.writerows((s, d, ids[s], ids[d], f"{w:.6f}") for s, d, w in edges)
    return out.getvalue()


def keep_exporter_warm() -> None:
    """Keep one kaleido browser running, so an export need not wait seconds for one to start."""
    import warnings

    import kaleido

    warnings.filterwarnings("ignore", message="The kopts argument is ignored")
    try:
        kaleido.start_sync_server(silence_warnings=True)
    except Exception:  # no browser: figure_bytes reports it clearly when an export is asked for
        return


def stop_exporter() -> None:
    """Close the browser started by keep_exporter_warm (a CLI run ends cleanly)."""
    import kaleido

    kaleido.stop_sync_server(silence_warnings=True)
