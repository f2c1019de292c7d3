# One entry point for people and CI. Every target sets up what it needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR ?= data
PORT ?= 8501

.PHONY: setup data models run test lint format bench browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for browser tests; Playwright never downloads a browser here.
browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

$(DATA_DIR)/campaigns.csv: | $(STAMP)
	$(PY) data_generation.py --out $(DATA_DIR)

data: $(DATA_DIR)/campaigns.csv

models: data
	$(PY) -m pipeline ensure-models --data $(DATA_DIR)

run: data models
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: setup browser data
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup browser data
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache test-output
