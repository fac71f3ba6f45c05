# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml or the lock file changes.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | cksum | cut -d' ' -f1)
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check

.PHONY: demo test lint lock bench fuzz clean

# Every package from the lock file, each checked against its recorded hashes; then the hub itself.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the hub and its locked packages into $(VENV) ..."
	@$(PIP) --upgrade pip
	@$(PIP) --require-hashes -r requirements-dev.lock
	@$(PIP) --no-deps -e .
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

# After changing a dependency in pyproject.toml: pin every package again, with hashes.
# requirements.lock holds the runtime packages (the Dockerfile), requirements-dev.lock adds the
# dev extra (make demo, make test); the runtime lock is constrained by the dev lock, so both
# name the same versions.
LOCK_OPTS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links
lock:
	@test -x .venv-lock/bin/pip-compile || ($(PYTHON) -m venv .venv-lock && \
		.venv-lock/bin/python -m pip install -q pip-tools==7.6.2)
	.venv-lock/bin/pip-compile $(LOCK_OPTS) --extra dev -o requirements-dev.lock pyproject.toml
	.venv-lock/bin/pip-compile $(LOCK_OPTS) -c requirements-dev.lock -o requirements.lock \
		pyproject.toml

clean:
	rm -rf $(VENV) .venv-lock var .pytest_cache .mypy_cache .ruff_cache
