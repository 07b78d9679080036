"""Per-size analysis: neighbours, graphs, communities, keywords, lineage and fidelity."""
