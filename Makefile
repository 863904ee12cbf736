# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both are safe to run again: each step only does what is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test workers: one per core. Since a process stopped typesetting the same PDF again, a worker hardly
# waits, and more workers only contend: on two cores (6 December 2026) the SQLite run took 435 s with
# two workers, 507 s with three, and the PostgreSQL run 543 s with two, 594 s with three.
TEST_WORKERS ?= $(shell nproc)
# Debian packages the portal needs: a Japanese font for PDFs and charts, poppler for PDF checks,
# Chromium for the browser tests.
RUN_PACKAGES := fonts-morisawa-bizud-gothic
TEST_PACKAGES := fonts-morisawa-bizud-gothic poppler-utils chromium

.PHONY: run test lock system-packages-run system-packages-test clean

run: system-packages-run $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py setup_demo
	# The job worker (imports, PDFs, backups) runs beside the web server and stops with it.
	DEBUG=1 $(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 SECURE_SSL_REDIRECT=0 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: system-packages-test $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Install missing Debian packages as root; otherwise say exactly what to install.
define ensure_packages
	@missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing" >&2; \
	    echo "Install them with: sudo apt-get install$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi
endef

system-packages-run:
	$(call ensure_packages,$(RUN_PACKAGES))

system-packages-test:
	$(call ensure_packages,$(TEST_PACKAGES))

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the declared dependencies or their locked versions change. Every package comes
# from the lock, checked against its hashes; the portal itself is then linked in without touching them.
$(VENV)/.installed: pyproject.toml requirements.lock $(VENV)/bin/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Move the locked versions to the newest that pyproject.toml allows (then run `make test`).
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet 'pip-tools>=7.5,<8'
	$(VENV)-lock/bin/pip-compile --quiet --upgrade --extra dev --build-deps-for editable --generate-hashes \
	  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
