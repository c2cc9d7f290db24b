# The one entry point for people and CI: make run | test | lint | bench | schema
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
PYTEST_ARGS ?=
# make simulator: real WebRTC for a browser on this machine; add --any-address for one elsewhere.
SIMULATOR_ARGS ?= --webrtc

.PHONY: run worker test test-browser lint format bench schema services simulator clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

# The webhook dispatcher as its own process (the app also runs one in its lifespan by default).
worker: $(STAMP)
	$(PY) -m app.worker

services:
	@bash scripts/ensure_services.sh

# pytest exits 5 when nothing was collected (e.g. a -k filter); that is not a failure.
test: $(STAMP) services
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

# examples/nextjs in Debian's chromium (Playwright for Python, never `playwright install`) against callintake
# (embedded default) + the fake OpenAI with its WebRTC simulator. Installs run first; the browser stack then
# runs in a fresh network namespace with only loopback (no packet leaves the machine), bounded in time.
test-browser: $(STAMP)
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	$(PY) -m pip install -q --disable-pip-version-check -r tests/browser/requirements.txt
	cd examples/nextjs && npm ci --no-audit --no-fund && npx tsc --noEmit && NEXT_TELEMETRY_DISABLED=1 npx next build
	timeout 300 unshare --net sh -c 'ip link set lo up || exit 2; rc=0; \
		$(PY) -m tests.browser.browser_call --stack || rc=1; \
		$(PY) -m tests.browser.browser_call --stub || rc=1; exit $$rc'

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app database

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) services
	$(PY) -m bench

# Regenerate database/schema.sql from the migrations (a test fails when they drift apart).
schema: $(STAMP) services
	$(PY) -m database.schema_dump --from-migrations > database/schema.sql

# A local SIMULATOR of the OpenAI Realtime API (our test fake), for trying the service offline.
simulator: $(STAMP)
	@echo "callintake simulator: a FAKE OpenAI Realtime API for local use; it is not OpenAI" >&2
	$(PY) -m simulator.realtime --host 127.0.0.1 --port 8787 $(SIMULATOR_ARGS)

clean:
	rm -rf $(VENV) callintake.db callintake.db-*
