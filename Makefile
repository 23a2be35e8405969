# agent_crm — fresh-machine entry points: `make demo` and `make test` (both create .venv when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export LITELLM_OFFLINE_MODE := true
export ANONYMIZED_TELEMETRY := False

.PHONY: venv demo test lint typecheck pytest bench clean-venv knowledge

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/agent-crm --home .data/demo demo

lint: $(STAMP)
	$(BIN)/ruff check agent_crm tests evals knowledge

typecheck: $(STAMP)
	$(BIN)/mypy agent_crm

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m evals.perf.run_all

knowledge: $(STAMP)
	$(BIN)/python knowledge/generate.py

clean-venv:
	rm -rf $(VENV)
