# The press's commands. Every target calls the `press` command line (scripts/press/cli.py);
# set-up (system packages, fonts, the Python environment) is part of `make`.
#   make                 all editions of $(MANUSCRIPT) into $(DIST)
#   make epub|pdf|html   one edition
#   make check           the press's checks and the validators, on the manuscript and the editions
#   make test            the test suite
#   make clean           build outputs and caches (the environment stays); make distclean: also .venv
#   make MANUSCRIPT=path DIST=path ...   another manuscript and output folder
MANUSCRIPT ?= manuscript
DIST ?= dist
VENV ?= .venv
PRESS := $(VENV)/bin/press
STAMP := $(VENV)/.installed
PRESS_NODE_MODULES := $(CURDIR)/node_modules
export MANUSCRIPT DIST PRESS_NODE_MODULES

.PHONY: test-tools all epub pdf html check release linkcheck test clean distclean setup tools bench preview serve proofs offprints screenshots
.DEFAULT_GOAL := all

all: $(STAMP)
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST)

epub pdf html: $(STAMP)
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) --only $@

# check: build what can be built (a failing build is reported by the check itself), then check all
check: $(STAMP) tools
	-@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) -q >/dev/null 2>&1
	@$(PRESS) check -m $(MANUSCRIPT) -d $(DIST) --progress

# release: the manuscript must be clean (pending notes count as errors) before anything is built
# (the whole book laid out at once, the most compact PDFs), and the editions must pass every validator.
release: $(STAMP) tools
	@$(PRESS) check -m $(MANUSCRIPT) --release --manuscript-only
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) --force
	@$(PRESS) check -m $(MANUSCRIPT) -d $(DIST) --release

# test: the linter (ruff, configured in pyproject.toml), then the test suite
test: $(STAMP) test-tools
	@$(VENV)/bin/ruff check --quiet scripts tests
	@$(VENV)/bin/python -m pytest

linkcheck: $(STAMP)
	@$(PRESS) linkcheck -m $(MANUSCRIPT) -d $(DIST)

bench: $(STAMP)
	@$(PRESS) bench -m $(MANUSCRIPT)

preview: $(STAMP)
	@$(PRESS) preview -m $(MANUSCRIPT) -d $(DIST)

serve: all
	@$(PRESS) serve -d $(DIST)

proofs: all
	@$(PRESS) proofs -m $(MANUSCRIPT) -d $(DIST)

offprints: $(STAMP)
	@$(PRESS) offprints -m $(MANUSCRIPT) -d $(DIST)

screenshots: all tools
	@$(PRESS) serve -d $(DIST) --screenshots

setup: $(STAMP)

SETUP_INPUTS := pyproject.toml requirements.lock scripts/setup.sh scripts/press/system.py scripts/press/styles/fonts.yaml

$(STAMP): $(SETUP_INPUTS)
	@scripts/setup.sh all

# The validators and spelling dictionaries: checked on every run (quick when all is there), since
# what they need depends on the book's language and not only on files make can compare.
tools:
	@scripts/setup.sh tools

test-tools:
	@scripts/setup.sh test

clean:
	rm -rf $(DIST) .cache .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV) node_modules
