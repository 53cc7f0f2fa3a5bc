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
TOOLS := node_modules/.installed
export MANUSCRIPT DIST

.PHONY: all epub pdf html check release linkcheck test clean distclean setup tools bench preview serve proofs offprints screenshots
.DEFAULT_GOAL := all

all: $(STAMP)
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST)

epub pdf html: $(STAMP)
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) --only $@

# check: build what can be built (a failing build is reported by the check itself), then check all
check: $(STAMP) $(TOOLS)
	-@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) -q >/dev/null 2>&1
	@$(PRESS) check -m $(MANUSCRIPT) -d $(DIST)

# release: the manuscript must be clean (pending notes count as errors) before anything is built
# (the whole book laid out at once, the most compact PDFs), and the editions must pass every validator.
release: $(STAMP) $(TOOLS)
	@$(PRESS) check -m $(MANUSCRIPT) --release --manuscript-only
	@$(PRESS) build -m $(MANUSCRIPT) -d $(DIST) --force
	@$(PRESS) check -m $(MANUSCRIPT) -d $(DIST) --release

test: $(STAMP) $(TOOLS)
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

screenshots: all $(TOOLS)
	@$(PRESS) serve -d $(DIST) --screenshots

setup: $(STAMP)
tools: $(TOOLS)

$(STAMP): pyproject.toml styles/fonts.yaml scripts/setup.sh
	@scripts/setup.sh all

$(TOOLS): package.json scripts/setup.sh
	@scripts/setup.sh tools
	@touch $@

clean:
	rm -rf $(DIST) .cache .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV) node_modules
