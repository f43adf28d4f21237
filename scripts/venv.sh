#!/bin/sh
# Create the virtual environment at $1 with a working pip, on a machine that has only Python.
# Debian ships `venv` without `ensurepip` unless python3-venv is installed: as root we install
# it; otherwise we say exactly what is missing.
set -eu
venv=$1
python=${PYTHON:-python3}
[ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1 && exit 0
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "burstream needs Python 3.11 or newer; $python is $("$python" --version 2>&1)" >&2
  exit 1
fi
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    echo "installing python$minor-venv (Debian ships venv without ensurepip)" >&2
    apt-get update -qq && apt-get install -y -qq "python$minor-venv" >/dev/null
    "$python" -m venv "$venv"
  else
    echo "cannot create a venv: install python3-venv (Debian/Ubuntu) and retry" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
