#!/usr/bin/env bash
# System packages the tests start or call: GnuPG (chart signing).
set -euo pipefail
need=()
command -v gpg >/dev/null || need+=(gnupg)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
