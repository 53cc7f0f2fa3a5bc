#!/usr/bin/env bash
# Writes requirements.lock: the exact version of every Python package the press and its tests use,
# resolved in a new, empty environment from pyproject.toml. `make` installs with it as pip's
# constraint file, so every machine lays the book out with the same WeasyPrint, pydyf, fontTools…
# Run it after changing a dependency in pyproject.toml, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check '.[test]' >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
{
  echo "# The Python environment's exact versions, written by scripts/lock.sh from pyproject.toml"
  echo "# ($("$tmp/venv/bin/python" -c 'import platform; print("Python", platform.python_version())')). Do not edit by hand: change pyproject.toml and run scripts/lock.sh."
  "$tmp/venv/bin/pip" freeze --exclude-editable --disable-pip-version-check | grep -v '^vanvieren-press' | LC_ALL=C sort -f
} > requirements.lock
echo "lock: wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages)"
