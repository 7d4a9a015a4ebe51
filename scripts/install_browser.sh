#!/usr/bin/env bash
# Installs what the browser test (tests/integration/test_browser.py, pytest mark `browser`) needs:
# Debian's chromium + chromium-driver (never a downloaded browser) and the selenium client from PyPI.
# Idempotent: does nothing that is already done. Needs root (or sudo) for apt-get.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium and chromedriver already installed"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: apt-get not found; install Debian's chromium and chromium-driver by hand" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi

PY="${PYTHON:-python}"
if "$PY" -c "import selenium" >/dev/null 2>&1; then
    echo "selenium already installed"
else
    CONSTRAINTS=""
    ROOT="$(cd "$(dirname "$0")/.." && pwd)"
    if [ -f "$ROOT/constraints.txt" ]; then
        CONSTRAINTS="-c $ROOT/constraints.txt"
    fi
    # shellcheck disable=SC2086
    "$PY" -m pip install -q $CONSTRAINTS "selenium>=4.20"
fi

/usr/bin/chromium --version 2>/dev/null  # the Debian wrapper prints a harmless shell warning
/usr/bin/chromedriver --version
