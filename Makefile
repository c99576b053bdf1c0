# audiogan developer entry points. Needs only python3 (>= 3.10) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_FLAGS ?= -q --disable-pip-version-check

.PHONY: install demo test test-fast lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev,docs]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import audiogan, torch, torchaudio; print('audiogan', audiogan.__version__, '| torch', torch.__version__, '| torchaudio', torchaudio.__version__)"
	touch $(STAMP)

install: $(STAMP)

## The main job: a conditional WGAN-GP on built-in synthetic sounds; writes samples under runs/demo.
demo: $(STAMP)
	$(BIN)/audiogan train wgan-gp --out runs/demo

## The whole test suite (slow tests included).
test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

## The docs' figures and generated tables (docs/_static/figures, docs/_generated), from the
## built-in data and the runs in RUNS (a missing run is trained briefly there first).
RUNS ?= runs/figures
.PHONY: figures
figures: $(STAMP)
	$(BIN)/python docs/figures.py --runs $(RUNS)

bench: $(STAMP)
	$(BIN)/python benchmarks/train_step.py
	$(BIN)/python benchmarks/features.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .ruff_cache
