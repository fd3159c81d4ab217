#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, lint included.
# Installs Debian's prometheus package (promtool, prometheus) when it is missing.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# The console page tests (tests/admin/test_console_page.py) drive Debian's chromium
# through Playwright (never `playwright install`): install it when missing.
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >/dev/null
fi
. "$(dirname "$0")/setup-env.sh" test
# PostgreSQL (issue 12): the server at 127.0.0.1:5432, or a throwaway cluster
. scripts/test-postgres.sh
ruff check src tests examples benchmarks
python -m pytest -q -p no:cacheprovider "$@"  # not exec: test-postgres.sh's exit trap runs
