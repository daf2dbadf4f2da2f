#!/bin/sh
# Rewrites the expectations in tests/golden/parse/cases.txt and
# docs/diagnostics.md from the current parser and resolver.
# Usage: tests/golden/parse/update.sh BUILD_DIR
set -eu
build=${1:?usage: update.sh BUILD_DIR}
cmake --build "$build" --target unit_grammar
SIFT_UPDATE_GOLDEN=1 "$build/tests/unit/grammar/unit_grammar"
