#!/usr/bin/env bash
# Run the test suite; "no tests collected" (pytest exit 5) is a failure, not a pass.
set -uo pipefail
python=${1:-python3}
"$python" -m pytest -q -p no:cacheprovider "${@:2}"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
