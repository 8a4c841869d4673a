# Every target is one tool call; the logic lives in tools/bootstrap.py and airflow_catalog's CLI.
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --locked --no-sync
SETUP := $(PYTHON) tools/bootstrap.py

.PHONY: docs test check serve lint bench publish clean

docs:  ## set everything up, build the site into _build/html, print where it is
	$(SETUP) docs && $(RUN) python -m airflow_catalog build

test:  ## set everything up, run every test
	$(SETUP) test && $(RUN) pytest

check:  ## the conventions of our own package, with the fix for each finding
	$(SETUP) docs && $(RUN) python -m airflow_catalog check etl_platform

serve:  ## build the site, serve it on http://127.0.0.1:8000/ and rebuild it on every change
	$(SETUP) docs && $(RUN) python -m airflow_catalog serve --watch

lint:  ## ruff, mypy and the import contracts of the catalog generator's stages
	$(SETUP) lint && $(RUN) ruff check . && $(RUN) ruff format --check . && $(RUN) mypy && $(RUN) lint-imports

bench:  ## benchmarks, each printed as a table beside its baseline
	$(SETUP) bench && $(RUN) python -m bench

publish:  ## merge the built site into the published tree: make publish VERSION=1.2.0 TARGET=<repository, URL or folder>
	$(RUN) python -m airflow_catalog publish --site _build/html --version "$(VERSION)" --target "$(TARGET)"

clean:
	rm -rf _build catalog/_generated .pytest_cache .mypy_cache .ruff_cache
