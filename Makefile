# The two commands: `make run` (the demo) and `make test` (the suite on PostgreSQL and Redis).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
HOST ?= 127.0.0.1:8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pension
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# What WeasyPrint needs to print Chinese forms fast: Pango, HarfBuzz's subsetter, a CJK font.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
# The browser tests drive Debian's Chromium; pdftoppm turns printed forms into images.
TEST_PACKAGES := $(PDF_PACKAGES) chromium poppler-utils

.PHONY: run test install sysdeps sysdeps-test lint messages lock schema bench bench-install clean

# Every dependency at its locked version, checked against its hash; then the project itself.
# --no-deps: the lock is the whole set, so pip installs it as it is instead of resolving again
# (resolving, this venv's pip asks a dependency's extra, weasyprint's fonttools[woff], for a pin of
# its own, and fails as soon as the index has a newer fonttools); pip check then proves the set whole.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --no-deps --require-hashes -r requirements.lock
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PIP) check
	touch $@

install: $(VENV)/.installed

define ensure_packages
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "Missing system packages:$$missing (install their equivalents for your system)"; exit 1; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

sysdeps:
	$(call ensure_packages,$(PDF_PACKAGES))

sysdeps-test:
	$(call ensure_packages,$(TEST_PACKAGES))

run: install sysdeps
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Serving the demo on http://$(HOST)/ (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST)

test: install sysdeps-test
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# After changing a dependency in pyproject.toml: pin every package with its hashes.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock -q
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra bench --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements-bench.lock -q

# The benchmarks' own tools (locust for bench/pages.py), locked like the rest; run by hand.
bench-install: install
	$(PIP) install -q --no-deps --require-hashes -r requirements-bench.lock
	$(PIP) check

# After changing an API view or serializer: write the published schema (tests/test_openapi_file.py
# fails until docs/openapi.yaml is the schema /api/schema/ serves), validated against OpenAPI 3.
schema: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn \
	  --file docs/openapi.yaml

# Regenerate the Chinese catalogue after changing user-facing text (needs gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore=.venv --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) demo.sqlite3* staticfiles .pytest_cache
