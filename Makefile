# The press's commands. Every target calls the `press` command line (scripts/press/cli.py);
# set-up (system packages, fonts, the Python environment) is part of `make`.
#   make                 all editions of $(MANUSCRIPT) into $(DIST)
#   make epub|pdf|html   one edition
#   make check           the press's checks and the validators, on the manuscript and the editions
#   make queries         the open author queries: a proof PDF with margin marks, the list per chapter
#   make docx            Word documents of the essays and the book, for review (dist/docx/)
#   make import DOCX=f   an author's Word document into the manuscript (AFTER=NN-name.md to place it)
#   make catalogue CATALOGUE=f   every book of a catalogue file at once, its site and OPDS feeds (docs/catalogue.md;
#                        JOBS=n books at once, SCHEDULER=tcp://host:8786 a Dask cluster, CATALOGUE_DIST=path)
#   make test            ruff, the press's test suite (test-press), then the book's acceptance suite (test-book)
#   make clean           build outputs and caches (the environment stays); make distclean: also .venv
#   make MANUSCRIPT=path DIST=path ...   another manuscript and output folder
MANUSCRIPT ?= manuscript
DIST ?= dist
VENV ?= .venv
PRESS := $(VENV)/bin/press
STAMP := $(VENV)/.installed
PRESS_NODE_MODULES := $(CURDIR)/node_modules
export MANUSCRIPT DIST PRESS_NODE_MODULES

.PHONY: test-press test-book test-tools all epub pdf html check release linkcheck test clean distclean setup tools bench preview serve proofs proofs-diff offprints queries screenshots docx import cover catalogue
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

# test: the linter (ruff, configured in pyproject.toml), then the press's own suite (tests/*.py, the
# fixture book; it never reads manuscript/), then the book-acceptance suite (tests/acceptance/)
test: $(STAMP) test-tools
	@$(VENV)/bin/ruff check --quiet scripts tests
	@$(VENV)/bin/python -m pytest tests --ignore=tests/acceptance
	@$(VENV)/bin/python -m pytest tests/acceptance

test-press: $(STAMP) test-tools
	@$(VENV)/bin/python -m pytest tests --ignore=tests/acceptance

test-book: $(STAMP) test-tools
	@$(VENV)/bin/python -m pytest tests/acceptance

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

# proofs-diff: the proofs, and which pages changed since the last `make proofs` (dist/proofs-diff/)
proofs-diff: all
	@$(PRESS) proofs -m $(MANUSCRIPT) -d $(DIST) --since last

# cover: the print cover for the interior just built (spine from its page count)
cover: all
	@$(PRESS) cover -m $(MANUSCRIPT) -d $(DIST)

offprints: $(STAMP)
	@$(PRESS) offprints -m $(MANUSCRIPT) -d $(DIST)

queries: $(STAMP)
	@$(PRESS) queries -m $(MANUSCRIPT) -d $(DIST)

docx: $(STAMP)
	@$(PRESS) docx -m $(MANUSCRIPT) -d $(DIST)

# import: DOCX=path/to/file.docx, optionally AFTER=NN-name.md (where book.yaml lists it), REPLACE=NN-name.md
# (a new version of that chapter) and CHANGES=accept|reject (what to do with tracked changes)
import: $(STAMP)
	@test -n "$(DOCX)" || { echo "make import: name the document: make import DOCX=path/to/file.docx [AFTER=NN-name.md]" >&2; exit 2; }
	@$(PRESS) import "$(DOCX)" -m $(MANUSCRIPT) $(if $(AFTER),--after "$(AFTER)") $(if $(REPLACE),--replace "$(REPLACE)") $(if $(CHANGES),--$(CHANGES)-changes)

catalogue: $(STAMP)
	@test -n "$(CATALOGUE)" || { echo "make catalogue: name the catalogue file: make catalogue CATALOGUE=path/to/catalogue.yaml" >&2; exit 2; }
	@$(PRESS) catalogue build "$(CATALOGUE)" $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(CATALOGUE_DIST),-o "$(CATALOGUE_DIST)")

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
