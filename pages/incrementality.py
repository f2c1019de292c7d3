import streamlit as st

st.title("Incrementality")
st.info("This page is being built.")
