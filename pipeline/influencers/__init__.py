"""Influencer results: attributed ROAS and exposed-vs-control incrementality. Imports campaigns and below."""
