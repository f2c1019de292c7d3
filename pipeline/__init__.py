"""Marketing-campaign analytics logic; never imports streamlit, ui or bench.

Folders from the bottom up: config, schemas, filters, kpis, export < inputs < campaigns < influencers < modeling
< scale < cli. A module imports from its own folder and from folders below it, never upward.
"""
