#!/usr/bin/env bash
# Set up (first run only) and run the quickstart demo: jobs run, telemetry printed.
set -euo pipefail
. "$(dirname "$0")/setup-env.sh" admin
exec python examples/quickstart.py "$@"
