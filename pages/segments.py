import streamlit as st

st.title("Segments")
st.info("This page is being built.")
