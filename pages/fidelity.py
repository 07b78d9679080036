import streamlit as st

st.title("fidelity")
