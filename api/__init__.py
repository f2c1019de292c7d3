"""The REST API: the pipeline as a small HTTP service for one trusted team (README "REST API").

A front door beside `python -m pipeline` (pipeline/cli): every endpoint calls the same functions as its CLI
command (pipeline/cli/answers.py) and returns the same JSON. Never imports Streamlit.

    python -m api [--host 127.0.0.1] [--port 8000]      # or: make api
"""
