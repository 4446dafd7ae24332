# The course's commands. `make course` and `make test` create .venv from the pinned requirements
# when it is missing or older than them, so a fresh clone needs nothing else.
# Paths stay relative to the checkout (make's path functions split a path that holds spaces).
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# nbgrader shells out to `alembic`: the virtual environment's bin/ must come first on PATH
export PATH := $(CURDIR)/$(BIN):$(PATH)

# A local mirror of the photos beside the checkout (as in this project's CI) is used when present;
# otherwise the course downloads the official archive on first use.
MIRROR := $(shell cd .. && pwd)/shared/data
ifeq ($(shell test -d "$(MIRROR)/cats_and_dogs_filtered" && echo yes),yes)
export PRACTICUM_DATA_DIR ?= $(MIRROR)/cats_and_dogs_filtered
endif
ifeq ($(shell test -d "$(MIRROR)/holdout" && echo yes),yes)
export PRACTICUM_HOLDOUT_DIR ?= $(MIRROR)/holdout
endif

FULL ?=
RUN_FLAGS := $(if $(FULL),--full,)

# Tests run two at a time (pytest-xdist); a module whose tests share one expensive set-up (a graded
# batch, a JupyterLab server, the Colab-like environment) stays on one worker (xdist_group).
PYTEST_JOBS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadgroup
# What `make test-fast` leaves out: whatever starts a kernel, a server or a browser (pyproject.toml's markers).
SLOW := notebooks or adversarial or colab or browser or kernels

.PHONY: course test test-fast lab data tidy build venv

# `course` runs every lesson and solution headless, then grades what an "instructor" who did every
# exercise would hand in: the released exercises with the solutions' answers typed in (full marks
# and nothing for a person to look at expected): the whole release → grade path, end to end.
course: $(STAMP) data  ## run every lesson and solution headless (FAST; FULL=1 for the published budgets)
	status=0; $(BIN)/practicum run $(RUN_FLAGS) || status=1; \
	rm -rf build/self-grade && $(BIN)/practicum build --answered build/self-grade/instructor && \
	$(BIN)/practicum grade build/self-grade --out build/grading || status=1; \
	exit $$status

test: $(STAMP)  ## the whole test suite, as CI runs it (its 30 slowest tests at the end)
	$(PYTEST) --durations=30

test-fast: $(STAMP)  ## the tests that start no kernel, server or browser: run them while working
	$(PYTEST) -m "not ($(SLOW))"

lab: $(STAMP) data  ## JupyterLab on the course (its settings in .jupyter/: no news pop-up)
	$(BIN)/practicum lab

data: $(STAMP)  ## fetch (or find) the photos and check them
	$(BIN)/practicum data

tidy: $(STAMP)  ## clean notebooks before committing
	$(BIN)/practicum tidy

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x "$(BIN)/python" || $(PYTHON) -m venv "$(VENV)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)
