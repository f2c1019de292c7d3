import streamlit as st

st.title("Influencers")
st.info("This page is being built.")
