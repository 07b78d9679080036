"""The multi-layer graph of a dimension ladder, and which topics last down the whole ladder.

One layer per size: the kNN graph of that prefix, with every document in every layer. Each
community at one size is linked to the communities at the next smaller size that receive its
members, weighted by the members they share. Past a bound on documents × layers only the
community level is kept, so the file stays one that Gephi, Cytoscape and networkx can open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from core.analysis.graph import Graph
from core.analysis.lineage import Labels, Names, cluster_tree, tree_node

# Document nodes (documents × layers) up to which the document level is kept: the edges, the
# exports' size and time and the memory to build them grow with it, and past it outgrow what a
# download or the server should carry.
DOCUMENT_NODE_LIMIT = 50_000
BACKBONE_SHARE = 0.5
DOCUMENT_LEVEL, COMMUNITY_LEVEL = "document", "community"
BACKBONE, LARGE_ONLY, APPEARS = "backbone", "large sizes only", "appears at a smaller size"
# within a layer: document-document similarity (KNN), document to its community (MEMBER), and
# at the community level, community-community kNN edge counts (COMMUNITY_KNN); between layers:
# community to the next smaller size's communities (INTERLAYER)
KNN, MEMBER, COMMUNITY_KNN, INTERLAYER = "knn", "member", "community_knn", "interlayer"
EDGE_KINDS = (KNN, MEMBER, COMMUNITY_KNN, INTERLAYER)

# characters XML 1.0 cannot hold (GraphML writers refuse them or write unreadable files)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def layer_node(dim: int, kind: str, key: int) -> str:
    """A multi-layer node id: "64d:doc:17" (document row 17 at 64 dims) or "64d:community:3".

    Documents are named by their row, not their id: rows are short and need no escaping in any
    format; the user's id travels in the node's doc_id and label attributes."""
    return f"{dim}d:{kind}:{key}"


def xml_text(text: object) -> str:
    """Text with the characters XML 1.0 cannot hold (most control characters) replaced by U+FFFD,
    so a GraphML file with user text in it can always be written and read back."""
    return _NOT_XML.sub("\ufffd", str(text))


@dataclass(frozen=True)
class Topic:
    """One topic followed down the ladder: a community and, at each smaller size, the community
    that continues it (receives at least the chosen share of its members, and draws at least
    that share of its own members from it, more than from any other community). Everything is
    listed largest size first.

    status is BACKBONE (from the full size to the smallest), LARGE_ONLY (from the full size,
    ending before the smallest) or APPEARS (first found at a smaller size). For a topic that
    ends early, fate says in words where its members go at the next smaller size."""

    nodes: tuple[str, ...]  # cluster-tree keys (core.analysis.lineage.tree_node)
    dims: tuple[int, ...]
    communities: tuple[int, ...]
    names: tuple[str, ...]
    members: tuple[int, ...]
    status: str
    fate: str = ""

    def describe(self) -> str:
        """The topic in plain words (not escaped: render it as text)."""
        first, last = self.dims[0], self.dims[-1]
        head = f"'{self.names[0]}' ({self.members[0]} docs at {first} dims)"
        if self.status == BACKBONE:
            return f"{head} is found at every size, with {self.members[-1]} docs at {last} dims."
        span = f"lasts to {last} dims" if last != first else f"is found at {first} dims only"
        return f"{head} {span}; {self.fate}" if self.fate else f"{head} {span}."


def topics(tree: nx.DiGraph, *, min_share: float = BACKBONE_SHARE) -> list[Topic]:
    """Every topic of a cluster tree (core.analysis.lineage.cluster_tree): backbones first, then
    those found only at large sizes, then those appearing at a smaller size; within a group,
    those starting at a larger size first, then the larger topics."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    ladder = sorted({a["dim"] for _, a in tree.nodes(data=True)}, reverse=True)
    following = _continuations(tree, min_share)
    continued = set(following.values())
    found = []
    for start in tree.nodes:
        if start in continued:
            continue
        chain = [start]
        while chain[-1] in following:
            chain.append(following[chain[-1]])
        found.append(_topic(tree, chain, ladder, min_share))
    order = {BACKBONE: 0, LARGE_ONLY: 1, APPEARS: 2}
    return sorted(found, key=lambda t: (order[t.status], -t.dims[0], -t.members[0], t.nodes[0]))


def _by_count(edges) -> list:
    """Tree edges (source, target, attributes), most shared members first, ties by node key."""
    return sorted(edges, key=lambda e: (-e[2]["count"], e[0], e[1]))


def _continuations(tree: nx.DiGraph, min_share: float) -> dict[str, str]:
    """parent -> child where the two are mostly the same documents: the child gets at least
    min_share of the parent's members, at least min_share of the child's members come from the
    parent, and no other community gives the child more (ties go to the first key), so topics
    never meet. A small community swallowed by a large one is not continued by it."""
    largest_source = {
        child: _by_count(tree.in_edges(child, data=True))[0][0]
        for child in tree.nodes
        if tree.in_degree(child)
    }
    following = {}
    for parent in tree.nodes:
        out = _by_count(tree.out_edges(parent, data=True))
        if not out:
            continue
        _, child, a = out[0]
        if (
            a["share"] >= min_share
            and a["count"] >= min_share * tree.nodes[child]["size"]
            and largest_source[child] == parent
        ):
            following[parent] = child
    return following


def _topic(tree: nx.DiGraph, chain: list[str], ladder: list[int], min_share: float) -> Topic:
    nodes = [tree.nodes[n] for n in chain]
    first, last = nodes[0]["dim"], nodes[-1]["dim"]
    status = APPEARS if first != ladder[0] else BACKBONE if last == ladder[-1] else LARGE_ONLY
    return Topic(
        nodes=tuple(chain),
        dims=tuple(a["dim"] for a in nodes),
        communities=tuple(a["community"] for a in nodes),
        names=tuple(a["name"] for a in nodes),
        members=tuple(a["size"] for a in nodes),
        status=status,
        fate="" if last == ladder[-1] else _fate(tree, chain[-1], min_share),
    )


def _fate(tree: nx.DiGraph, node: str, min_share: float) -> str:
    """Where a topic's members go at the next smaller size, once no community continues it."""
    out = _by_count(tree.out_edges(node, data=True))
    dim = tree.nodes[out[0][1]]["dim"]
    top = [(tree.nodes[child]["name"], a["share"]) for _, child, a in out[:2]]
    if top[0][1] >= min_share:
        return f"at {dim} dims it merges into '{top[0][0]}' ({top[0][1]:.0%} of its members)."
    parts = " and ".join(f"'{name}' ({share:.0%})" for name, share in top)
    return f"at {dim} dims its members go to {parts}, and no community continues it."


def backbone_nodes(found: Sequence[Topic]) -> set[str]:
    """The cluster-tree keys of every backbone topic's communities."""
    return {node for topic in found if topic.status == BACKBONE for node in topic.nodes}


def multilayer_level(documents: int, layers: int, document_limit: int = DOCUMENT_NODE_LIMIT) -> str:
    """DOCUMENT_LEVEL while documents × layers stays within document_limit, else COMMUNITY_LEVEL."""
    return DOCUMENT_LEVEL if documents * layers <= document_limit else COMMUNITY_LEVEL


def level_note(level: str, documents: int, layers: int, document_limit: int) -> str:
    """One paragraph saying what the multi-layer graph holds at this level."""
    common = (
        f"{layers} layers, one per size (layer 0 = the full size); community nodes in every "
        "layer, with interlayer edges to the communities at the next smaller size that receive "
        "their members (weight = shared members, share = weight / members)."
    )
    if level == DOCUMENT_LEVEL:
        return (
            f"Document level: each of the {documents:,} documents in every layer, with its kNN "
            "edges at that size (kind knn, weight = similarity) and an edge to its community "
            f"(kind member). {common}"
        )
    return (
        f"Community level only: {documents:,} documents × {layers} layers = "
        f"{documents * layers:,} document nodes, over the limit of {document_limit:,}, so "
        "documents and their kNN edges are left out. Edges of kind community_knn count the kNN "
        "edges joining two communities of a layer (weight); internal_edges on a community node "
        f"counts those inside it. {common}"
    )


def _community_links(graph: Graph, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(community a, community b, kNN edges) for every pair a <= b joined by at least one edge;
    a == b counts the edges inside a community."""
    a, b = labels[graph.src].astype(np.int64), labels[graph.dst].astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    if lo.size == 0:
        return lo, hi, np.zeros(0, dtype=np.int64)
    base = int(hi.max()) + 1
    pairs, counts = np.unique(lo * base + hi, return_counts=True)
    return pairs // base, pairs % base, counts


@dataclass(frozen=True)
class LayerCounts:
    """Nodes and edges of each kind in a multi-layer graph, known before it is built."""

    level: str
    nodes: dict[str, int]
    edges: dict[str, int]


def multilayer_counts(
    tree: nx.DiGraph,
    graphs: Mapping[int, Graph],
    labels: Labels,
    *,
    document_limit: int = DOCUMENT_NODE_LIMIT,
) -> LayerCounts:
    """What multilayer_graph would hold, from the cluster tree and the per-size graphs, without
    building it (the page shows the numbers; the files are written only when asked for)."""
    dims = sorted(graphs, reverse=True)
    n = graphs[dims[0]].n
    level = multilayer_level(n, len(dims), document_limit)
    nodes = {"document": 0, "community": tree.number_of_nodes()}
    edges = dict.fromkeys(EDGE_KINDS, 0)
    edges[INTERLAYER] = tree.number_of_edges()
    for dim in dims:
        if level == DOCUMENT_LEVEL:
            nodes["document"] += n
            edges[MEMBER] += n
            edges[KNN] += graphs[dim].edge_count
        else:
            a, b, _ = _community_links(graphs[dim], np.asarray(labels[dim]))
            edges[COMMUNITY_KNN] += int((a != b).sum())
    return LayerCounts(level, nodes, edges)


def multilayer_graph(
    dims: Sequence[int],
    graphs: Mapping[int, Graph],
    labels: Labels,
    names: Names,
    doc_ids: Sequence[str],
    *,
    document_limit: int = DOCUMENT_NODE_LIMIT,
    min_share: float = BACKBONE_SHARE,
) -> nx.Graph:
    """The multi-layer graph of the ladder as one undirected networkx graph.

    Nodes: a document node per (document, layer) with kind, layer (0 = full size), dim, doc_id,
    community and label; a community node per (community, layer) with kind, layer, dim,
    community, name, members, internal_edges (kNN edges inside it), backbone (part of a topic
    found at every size, see topics) and label. Edges (attribute kind, every one weighted):
    knn within a layer; member from each document to its community in the same layer, which
    is what joins the document layers to each other through the interlayer edges (a document's
    copies are also tied by their doc_id); interlayer from a community to each community at the
    next smaller size that receives its members (weight = shared members; the direction, larger
    size to smaller, is given by the nodes' layers). Past document_limit document nodes
    (documents × layers) the documents, their knn and member edges are left out and
    community_knn edges count the kNN edges between communities instead. The graph attributes
    say which level was kept and why (level, note).

    The embedding size is called dim, not size: Gephi draws a node attribute named "size" as
    the node's size on screen. Every value is a Python str, int, float or bool, and user text
    is made XML-safe, so GraphML writers accept it.
    """
    ladder = sorted(set(dims), reverse=True)
    n = len(doc_ids)
    for dim in ladder:
        if graphs[dim].n != n or len(labels[dim]) != n:
            raise ValueError(
                f"{dim} dims: graph on {graphs[dim].n} and {len(labels[dim])} labels "
                f"for {n} documents"
            )
    tree = cluster_tree(ladder, labels, names)
    backbone = backbone_nodes(topics(tree, min_share=min_share))
    level = multilayer_level(n, len(ladder), document_limit)
    g = nx.Graph(
        level=level,
        dims=",".join(str(d) for d in ladder),
        layers=len(ladder),
        documents=n,
        document_limit=int(document_limit),
        backbone_share=float(min_share),
        note=level_note(level, n, len(ladder), document_limit),
    )
    safe_ids = [xml_text(i) for i in doc_ids]
    for layer, dim in enumerate(ladder):
        _add_layer(g, layer, dim, graphs[dim], np.asarray(labels[dim]), tree, backbone)
        if level == DOCUMENT_LEVEL:
            _add_documents(g, layer, dim, graphs[dim], np.asarray(labels[dim]), safe_ids)
    for parent, child, a in tree.edges(data=True):
        g.add_edge(
            _community_id(tree, parent),
            _community_id(tree, child),
            kind=INTERLAYER,
            weight=float(a["count"]),
            share=float(a["share"]),
        )
    return g


def _community_id(tree: nx.DiGraph, key: str) -> str:
    node = tree.nodes[key]
    return layer_node(node["dim"], "community", node["community"])


def _add_layer(
    g: nx.Graph,
    layer: int,
    dim: int,
    graph: Graph,
    labels: np.ndarray,
    tree: nx.DiGraph,
    backbone: set[str],
) -> None:
    """One layer's community nodes, and at the community level its community_knn edges."""
    a, b, counts = _community_links(graph, labels)
    inside = {int(c): int(k) for c, k in zip(a[a == b], counts[a == b], strict=True)}
    for community in np.unique(labels).tolist():
        key = tree_node(dim, community)
        name = xml_text(tree.nodes[key]["name"])
        g.add_node(
            layer_node(dim, "community", community),
            kind="community",
            layer=layer,
            dim=dim,
            community=community,
            name=name,
            members=tree.nodes[key]["size"],
            internal_edges=inside.get(community, 0),
            backbone=key in backbone,
            label=name,
        )
    if g.graph["level"] == COMMUNITY_LEVEL:
        between = a != b
        g.add_edges_from(
            (
                layer_node(dim, "community", s),
                layer_node(dim, "community", t),
                {"kind": COMMUNITY_KNN, "weight": float(k)},
            )
            for s, t, k in zip(
                a[between].tolist(), b[between].tolist(), counts[between].tolist(), strict=True
            )
        )


def _add_documents(
    g: nx.Graph, layer: int, dim: int, graph: Graph, labels: np.ndarray, doc_ids: Sequence[str]
) -> None:
    """One layer's document nodes, their kNN edges and their edges to their communities."""
    rows = [layer_node(dim, "doc", i) for i in range(graph.n)]
    communities = labels.tolist()
    g.add_nodes_from(
        (
            rows[i],
            {
                "kind": "document",
                "layer": layer,
                "dim": dim,
                "doc_id": doc_ids[i],
                "community": communities[i],
                "label": doc_ids[i],
            },
        )
        for i in range(graph.n)
    )
    g.add_edges_from(
        (rows[i], layer_node(dim, "community", c), {"kind": MEMBER, "weight": 1.0})
        for i, c in enumerate(communities)
    )
    weights = np.round(graph.weight.astype(np.float64), 6).tolist()  # float32's precision
    g.add_edges_from(
        (rows[s], rows[t], {"kind": KNN, "weight": w})
        for s, t, w in zip(graph.src.tolist(), graph.dst.tolist(), weights, strict=True)
    )
