"""Figures, the network view and 2-D layouts."""
