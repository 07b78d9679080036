import streamlit as st

st.title("lineage")
