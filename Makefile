# Two entry points for a fresh machine: `make demo` and `make test`
# (`make test-fast`: every family at small size, the tests marked slow left out).
# Both create .venv here if it is missing and install the project into it with every extra
# (deep: torch; test: pytest, sealwatch), idempotent;
# pip runs with -qq: its errors show, its warning blocks do not.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.advstego-installed
DEMO_OUT ?= demo-out

.PHONY: setup demo test test-fast clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[deep,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/advstego demo --out $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
