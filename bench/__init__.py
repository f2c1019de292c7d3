"""make bench: the benchmark harness (run.py), the websocket load client (ws_client.py, load.py) and results."""
