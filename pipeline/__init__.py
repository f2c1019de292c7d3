"""Marketing-campaign analytics logic. Never imports streamlit."""
