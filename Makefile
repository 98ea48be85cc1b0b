# Two commands do all the set-up on a machine with Docker (or a bare Debian box as root):
#   make run    - the server with its web page on http://127.0.0.1:8000
#   make test   - the whole test suite against the real engine
# Both create .venv, install requirements.txt (the kit with its extras), make sure an engine
# answers and build the images.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup engine image peers audit-peers run worker check format test test-docker26 test-podman lab bench cleanup doctor docs

$(STAMP): requirements.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

# JupyterLab settings for an offline classroom (no news, no update checks, no extension
# manager): JupyterLab reads overrides.json from the environment it runs in. The source sits in
# a hidden folder so that JupyterLab's file browser shows learners only the lessons.
LAB_OVERRIDES := notebooks/.jupyter/overrides.json
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_SETTINGS): $(LAB_OVERRIDES) $(STAMP)
	mkdir -p $(dir $@)
	cp $(LAB_OVERRIDES) $@

engine:
	@bash docker/ensure-engine.sh

image: $(STAMP) engine
	@$(BIN)/python -m sandbox build

# The peers the audit runs against (docs/audit.md): epicbox and llm-sandbox from PyPI, each in its
# own environment (epicbox needs docker<7, the kit docker>=7), from the pinned lists in peers/.
# Built once, by `make test` and `make audit-peers` (not `make run`); rebuilt only when a list
# changes.
PEERS_VENVS := .venv-peers
PEER_STAMPS := $(PEERS_VENVS)/epicbox/.installed $(PEERS_VENVS)/llm-sandbox/.installed

$(PEERS_VENVS)/%/.installed: peers/requirements-%.txt
	$(PY) -m venv $(PEERS_VENVS)/$*
	$(PEERS_VENVS)/$*/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

peers: $(PEER_STAMPS)

# The peers against the kit's hardened profile and the seed's own `docker run`, the whole catalog:
# reports/attacks-across-targets.{md,html,json}.
audit-peers: setup peers
	$(BIN)/python -m sandbox attacks --target kit:hardened --target docker-run:seed --target epicbox --target llm-sandbox

setup: $(STAMP) $(LAB_SETTINGS) engine image

run: setup
	$(BIN)/python -m server

# A worker that takes runs from a Redis broker and runs them on this machine's engine
# (docs/scale.md): start one per machine, and the server with --broker the same URL.
# `make run` needs none of this.
BROKER ?= unix:///run/safe-python/redis.sock
worker: setup
	$(BIN)/python -m sandbox worker --broker $(BROKER)

# Format, lint, types, the docstrings' examples that need no engine (the engine's examples run in
# tests/engine/test_doctests.py) and the docs site, strict. `make format` fixes the format.
check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/test_doctests.py
	$(BIN)/mkdocs build --strict --quiet --site-dir /tmp/safe-python-site-check

format: $(STAMP)
	$(BIN)/ruff format .

# The whole suite on the system's engine, then the engine rooms (the core against the engine,
# the attack matrix, probe and audit, the lessons, the canonical exercise on the page) again on a private Docker 26 and a private
# Podman 4.3 (docker/with-engine.sh: root on Debian; elsewhere it says why it did not run, and CI
# makes that a failure). The two private engines run side by side: each is its own daemon with
# its own socket, and their tests wait on containers more than on the CPU (CI takes about 16
# minutes for both, against 27 one after the other). Each line of their output is prefixed with
# the engine's name and shows as it comes (no --output-sync: it would hold back a pass's whole
# output until the pass ends, a quarter of an hour with no sign of progress). The Docker 26
# engine has gVisor's runsc registered, so the gvisor tests (the matrix's gvisor column, lesson
# 14) run there. Last, the scorecards of all three engines side by side
# (reports/attacks-across-engines.md).
# Each pass says how long it took and lists its slowest tests, so that the CI budget (45 minutes
# with the CPU hog; ARCHITECTURE.md, "What runs where") is watched as the suite grows.
DURATIONS ?= --durations=15
timed = start=$$(date +%s); $(1); status=$$?; echo "test: $(2) took $$(( $$(date +%s) - start ))s"; exit $$status

test: setup peers
	rm -rf reports/engines
	@$(call timed,$(BIN)/python -m pytest -m "not gvisor" $(DURATIONS) $(PYTEST_ARGS),the main pass (the system's engine))
	@$(MAKE) --no-print-directory -j2 test-docker26 test-podman
	$(BIN)/python -m sandbox attacks --combine reports/engines

test-docker26: setup
	@$(call timed,bash docker/with-engine.sh docker26 -- $(BIN)/python -m pytest -m "(docker or attacks or gvisor or api) and not own_engine and not once" \
	  --basetemp=/tmp/safe-python-pytest-docker26 tests/engine tests/attacks tests/notebooks tests/api/test_gvisor.py \
	  tests/browser/test_every_engine.py $(DURATIONS) $(PYTEST_ARGS),the Docker 26 pass)

# The tests that start engines of their own and kill them (tests/engine/test_engine_loss.py: a
# dockerd and a Podman service) run once, in the main pass.
test-podman: setup
	@$(call timed,bash docker/with-engine.sh podman -- $(BIN)/python -m pytest -m "(docker or attacks) and not gvisor and not own_engine and not once" \
	  --basetemp=/tmp/safe-python-pytest-podman tests/engine tests/attacks tests/notebooks tests/browser/test_every_engine.py \
	  $(DURATIONS) $(PYTEST_ARGS),the Podman pass)

lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# epicbox 1.1 (for benchmarks/costs.py's comparison) in a venv of its own: it needs docker<7.
EPICBOX_VENV ?= /tmp/epicbox-venv

bench: setup
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/fleet.py
	test -x $(EPICBOX_VENV)/bin/python || ($(PY) -m venv $(EPICBOX_VENV) && \
	  $(EPICBOX_VENV)/bin/pip install -q epicbox==1.1.0 "docker<7" "urllib3<2" "requests<2.32") || \
	  echo "bench: epicbox could not be installed; costs.py leaves it out"
	EPICBOX_PYTHON=$(EPICBOX_VENV)/bin/python $(BIN)/python benchmarks/costs.py
	EPICBOX_PYTHON=$(EPICBOX_VENV)/bin/python bash docker/with-engine.sh docker26 -- \
	  sh -c '$(BIN)/python benchmarks/latency.py --runtimes && $(BIN)/python benchmarks/costs.py --burst 0'

# The documentation site (mkdocs.yml; strict: a broken link or a page missing from the nav fails).
# Built outside the repository: the site is an artefact, the Markdown is the source.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir /tmp/safe-python-site

doctor: $(STAMP)
	$(BIN)/python -m sandbox doctor

cleanup: $(STAMP)
	$(BIN)/python -m sandbox cleanup
