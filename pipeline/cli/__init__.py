"""`python -m pipeline COMMAND`: the parser and the handlers; the top of pipeline/, imported by nothing in it."""
