# Converge: `make run` serves the portal with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install lock run db demo test lint format browser bench clean

# Installs are reproducible: every package is held to the version in constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,postgres,queue,server]'
	touch $(STAMP)

install: $(STAMP)

# constraints.txt records what is installed now. To move a dependency: change pyproject.toml
# if its range must move, `$(PY) -m pip install --upgrade -e '.[dev,postgres,queue,server]'` (or
# `pip install NAME==VERSION`), pass `make test`, then `make lock` and commit both files.
lock:
	{ echo '# Exact versions the test suite passed with; `make install` and CI install under them.'; \
	  echo '# Regenerate with `make lock` (see the Makefile); never edit by hand.'; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed-demo --if-empty

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium; install it when we may (root with apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped"; fi; }

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/optimizer.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
