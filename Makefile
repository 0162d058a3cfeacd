# Two commands do everything on a fresh machine with only Python 3 and make:
#   make demo   -> creates .venv, installs cstoolbox, runs the main demo on embedded real data
#   make test   -> same environment, runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= demo_output

.PHONY: install demo demo-all test test-gpu bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dask]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cstoolbox demo --out $(OUT)/audio_quantization

demo-all: $(STAMP)
	@for d in $$($(BIN)/python -m cstoolbox list | cut -d' ' -f1); do \
		$(BIN)/python -m cstoolbox demo $$d --out $(OUT)/$$d || exit 1; done

test: $(STAMP)
	$(BIN)/python -m pytest -m "not gpu"

test-gpu: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[gpu]"
	$(BIN)/python -m pytest -m gpu

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]" || echo "optional benchmark anchors not installable; continuing"
	$(BIN)/python -m pip install --quiet --no-build-isolation FFHT-unofficial || echo "FFHT not installable; bench_fwht compares with the radix-2 loop"
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
