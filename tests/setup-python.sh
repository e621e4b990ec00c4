#!/usr/bin/env bash
# Creates (or refreshes) the Python virtual environment in which tests/interchange.rs runs the
# real consumers of the exports: compliance-trestle (OSCAL), openpyxl (workbooks), jsonschema.
# Usage: tests/setup-python.sh [VENV]   (default target/python-venv). Idempotent: a venv whose
# installed requirements match tests/requirements.txt is left as it is, so reruns are instant.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-target/python-venv}"
if [ -x "$venv/bin/trestle" ] && cmp -s tests/requirements.txt "$venv/ismsbook-requirements.txt"; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
cp tests/requirements.txt "$venv/ismsbook-requirements.txt"
