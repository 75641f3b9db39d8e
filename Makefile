# Two commands matter: `make run` (service with demo data on embedded SQLite) and
# `make test` (every test, ruff and mypy). Both create or reuse .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench soak clean install browser

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/elevator-ledger demo
	$(BIN)/elevator-ledger serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy ledger domain projections api demo bench tests

# Browser tests drive Debian's chromium; install it where missing (root and apt needed),
# otherwise they skip with a visible reason (CI sets LEDGER_REQUIRE_BROWSER=1: then they fail).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); } || \
	  echo "chromium not installed: browser tests will be skipped"
	@# a CJK font, or the QR page's screenshots show boxes instead of Chinese (tests still pass)
	@fc-list :lang=zh 2>/dev/null | grep -q . || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; } || \
	  echo "no Chinese font: screenshots of the QR page will not be readable"

test: lint browser
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench.log_append
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.read_side
	$(BIN)/python -m bench.backdated
	$(BIN)/python -m bench.console
	$(BIN)/python -m bench.summary

soak: $(STAMP)
	$(BIN)/pytest -q -m slow

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
