# Two entry points: `make run` (set up, train the default model if missing, tag the examples)
# and `make test` (set up, run the test suite); `make lint` runs ruff. All are safe to re-run.
PY := .venv/bin/python
STAMP := .venv/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,ray]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	test -f models/default/model.safetensors || .venv/bin/govtag train -o models/default
	.venv/bin/govtag tag examples -m models/default -o outputs

test: $(STAMP)
	command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } || \
	  echo "chromium not installed: tests/test_report_render.py will be skipped"
	command -v soffice >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui \
	  >/dev/null; } || echo "LibreOffice not installed: the .doc/.rtf/.odt reading test will be skipped"
	$(PY) -m pytest -q -m "not slow and not gpu"  # the fast suite and the wheel installed outside the checkout

lint: $(STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

.PHONY: setup run test lint
