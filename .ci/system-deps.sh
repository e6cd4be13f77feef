#!/usr/bin/env bash
# System packages the tests start or call. Each script in .ci/deps/ installs what one part
# of the suite needs (servers from Debian, emulators from npm) and is safe to re-run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
export -f apt_install
apt_install gnupg openssl
for script in "$here"/deps/*.sh; do
  [ -e "$script" ] || continue
  echo "system-deps: $(basename "$script")"
  # shellcheck source=/dev/null
  source "$script"
done
