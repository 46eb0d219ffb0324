# Two commands for a newcomer: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format lock clean-data

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# The web port is checked first, with the system's Python: a taken port stops `make run` before
# the install and the seeding, with the command that serves elsewhere.
run:  ## check the port, install, start embedded services, migrate, seed, serve web + worker + beat
	@$(PYTHON) tools/devstack.py check-port
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) tools/devstack.py run

test: $(STAMP)  ## install, start embedded services, ruff, then the whole pytest suite
	$(PY) tools/devstack.py test $(ARGS)

bench: $(STAMP)  ## performance figures (see docs/performance.md)
	$(PY) tools/devstack.py bench $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

lock:  ## refresh constraints.txt from a clean install of pyproject.toml
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e ".[dev]"
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .venv-lock

clean-data:  ## forget the embedded databases' data (stop `make run` first)
	rm -rf .data
