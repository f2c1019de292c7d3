# One entry point for people and CI. Every target sets up what it needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR ?= data
PORT ?= 8501
MODELS_LOG ?= models/ensure-models.log
# The REST API (api/): loopback by default; binding elsewhere needs ANALYTICS_API_TOKEN (README "REST API").
API_HOST ?= 127.0.0.1
API_PORT ?= 8000

.PHONY: setup data models run api test lint format bench browser postgres java clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for browser tests; Playwright never downloads a browser here.
browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Debian's PostgreSQL server binaries for tests/pipeline/scale, which start (and stop) a throwaway cluster themselves.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# A Java runtime for the local Spark session in tests/pipeline/scale (pyspark 4 needs Java 17).
java:
	command -v java >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

# Generates data/ when missing and repairs it when a file is unreadable (the old files are kept aside);
# about 0.1 s when nothing changed since its last full check.
data: | $(STAMP)
	$(PY) -m pipeline ensure-data --data $(DATA_DIR)

models: data
	$(PY) -m pipeline ensure-models --data $(DATA_DIR)

# Missing models train in a background process while the app already serves (about a minute on a fresh clone);
# a page that needs them waits on the models folder's lock behind a progress box, then loads them.
run: data
	$(PY) -m pipeline ensure-models --data $(DATA_DIR) > $(MODELS_LOG) 2>&1 &
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

api: data models
	$(PY) -m api --host $(API_HOST) --port $(API_PORT)

test: setup browser postgres java data
	$(PY) -m pytest -q -n 2 --dist loadfile

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
