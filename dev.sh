#!/usr/bin/env bash
# One command each: `bash dev.sh app` installs everything and starts the app;
# `bash dev.sh test` installs everything and runs the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
export MGE_CACHE_DIR="${MGE_CACHE_DIR:-$PWD/.cache/mge}"

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_chromium() {
    # Browser tests and image export (kaleido) use Debian's Chromium; never a downloaded browser.
    if ! command -v chromium >/dev/null 2>&1; then
        echo "Installing Chromium from Debian's packages…"
        need_root apt-get update -qq
        need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    fi
}

install_python() {
    "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local stamp="$VENV/.requirements.sha256"
    local want
    want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "Installing Python packages into $VENV…"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
        echo "$want" > "$stamp"
    fi
}

compile_kernels() {
    # numba's kernels (exact search's, UMAP's, NN-descent's) compiled into the cache folder now,
    # once per installed set of packages, so a first session loads them rather than compiling
    # them (about a minute on two cores).
    local stamp="$MGE_CACHE_DIR/kernels-for.sha256"
    local want
    want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "Compiling numba's kernels into $MGE_CACHE_DIR (once per install)…"
        "$VENV/bin/python" -m core.schedule.warmup
        mkdir -p "$MGE_CACHE_DIR"
        echo "$want" > "$stamp"
    fi
}

case "${1:-}" in
    app)
        install_chromium
        install_python
        compile_kernels
        shift
        exec "$VENV/bin/streamlit" run app.py "$@"
        ;;
    test)
        install_chromium
        install_python
        compile_kernels
        shift
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    setup)
        install_chromium
        install_python
        compile_kernels
        ;;
    *)
        echo "usage: bash dev.sh app|test|setup [extra args]" >&2
        exit 2
        ;;
esac
