"""Embedding models, the on-disk embedding cache and dimension orderings."""
