import streamlit as st

st.title("pinned")
