# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench fuzz clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the hub and its pinned packages into $(VENV) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/hub up --demo

test: $(STAMP)
	@scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check hub connectors schemas topics tests benchmarks
	$(BIN)/mypy

# coverage-guided fuzzing of codec, UBL and ISI parsers for FUZZ_SECONDS each (fuzz/README.md)
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[fuzz]'
	for h in codec ubl isi; do mkdir -p fuzz/corpus/$$h && $(BIN)/python fuzz/$${h}_fuzz.py -max_total_time=$(FUZZ_SECONDS) fuzz/corpus/$$h || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
