"""Matryoshka Graph Explorer core: plain Python, no Streamlit."""
