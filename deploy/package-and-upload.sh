#!/usr/bin/env bash
# Package the bundled Helm chart (helm-chart/) and upload it to a running chartmuseum, so the
# server can then be installed from the repository it serves:
#
#   deploy/package-and-upload.sh http://localhost:8080
#   helm repo add chartmuseum http://localhost:8080
#   helm install chartmuseum chartmuseum/chartmuseum
#
# Usage: deploy/package-and-upload.sh [URL]
#   URL   the server's base URL, including its --context-path if any (default:
#         $CHARTMUSEUM_URL, else http://localhost:8080)
#
# Environment:
#   CHARTMUSEUM_USER, CHARTMUSEUM_PASS   basic auth credentials (HELM_REPO_USERNAME and
#                                        HELM_REPO_PASSWORD, as helm cm-push reads them, also work)
#   REPO_PATH       repository path on a multitenant server (--depth > 0), e.g. org/team
#   FORCE=1         replace the version if it already exists (POST ...?force)
#   CHART_DIR       chart to package (default: helm-chart/ in this repository)
#   CHART_VERSION   package with this version instead of Chart.yaml's
#   OUT_DIR         keep the package in this folder (default: a temporary folder, removed)
#   HELM            helm command (default: helm); without one, PYTHON (default: python3) with
#                   the helm-python-sdk package (import helm_python) packages the chart
#   CURL_OPTS       extra curl options, e.g. "--cacert ca.pem"
#
# Prints the server's JSON answer ({"saved":true}) and exits 0 when the chart was stored;
# exits non-zero with the server's error otherwise (409: the version exists, use FORCE=1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url=${1:-${CHARTMUSEUM_URL:-http://localhost:8080}}
url=${url%/}
chart_dir=${CHART_DIR:-$here/../helm-chart}
user=${CHARTMUSEUM_USER:-${HELM_REPO_USERNAME:-}}
pass=${CHARTMUSEUM_PASS:-${HELM_REPO_PASSWORD:-}}
repo_path=${REPO_PATH:-}
repo_path=${repo_path#/}
repo_path=${repo_path%/}

if [ -n "${OUT_DIR:-}" ]; then
  out_dir=$OUT_DIR
  mkdir -p "$out_dir"
else
  out_dir=$(mktemp -d)
  trap 'rm -rf "$out_dir"' EXIT
fi

helm_cmd=${HELM:-helm}
if command -v "$helm_cmd" >/dev/null 2>&1; then
  args=(package "$chart_dir" --destination "$out_dir")
  [ -n "${CHART_VERSION:-}" ] && args+=(--version "$CHART_VERSION")
  package=$("$helm_cmd" "${args[@]}" | sed -n 's/^Successfully packaged chart and saved it to: //p')
else
  package=$("${PYTHON:-python3}" - "$chart_dir" "$out_dir" "${CHART_VERSION:-}" <<'PY'
import sys

import helm_python

chart_dir, out_dir, version = sys.argv[1], sys.argv[2], sys.argv[3] or None
print(helm_python.package(chart_dir, destination=out_dir, version=version))
PY
  )
fi
[ -f "$package" ] || { echo "package-and-upload: packaging $chart_dir failed" >&2; exit 1; }

endpoint="$url/api${repo_path:+/$repo_path}/charts"
[ "${FORCE:-0}" = "1" ] && endpoint="$endpoint?force"

curl_args=(--silent --show-error --fail-with-body --data-binary "@$package"
  --header "Content-Type: application/octet-stream")
# shellcheck disable=SC2206  # CURL_OPTS is a list of words on purpose
[ -n "${CURL_OPTS:-}" ] && curl_args+=(${CURL_OPTS})
echo "package-and-upload: $(basename "$package") -> $endpoint" >&2
if [ -n "$user" ]; then
  # credentials go through a curl config on stdin, not the process list
  escape() { local v=${1//\\/\\\\}; printf '%s' "${v//\"/\\\"}"; }
  printf 'user = "%s:%s"\n' "$(escape "$user")" "$(escape "$pass")" |
    curl --config - "${curl_args[@]}" "$endpoint"
else
  curl "${curl_args[@]}" "$endpoint"
fi
echo
