# Azurite (Azure Blob emulator) for tests/backends/test_microsoft.py, from npm into a fixed
# folder. Sourced by .ci/system-deps.sh (which provides apt_install); safe to re-run.
AZURITE_VERSION=3.37.0
AZURITE_DIR=/opt/chartmuseum-test/azurite
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
azurite_installed=$(node -p "require('$AZURITE_DIR/node_modules/azurite/package.json').version" 2>/dev/null || true)
if [ "$azurite_installed" != "$AZURITE_VERSION" ] || [ ! -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" ]; then
  mkdir -p "$AZURITE_DIR"
  # 3.37.0 declares node>=22 (EBADENGINE warning) but its blob service runs on node 20
  (cd "$AZURITE_DIR" && npm install --no-audit --no-fund --loglevel=error --prefix "$AZURITE_DIR" "azurite@$AZURITE_VERSION")
fi
unset azurite_installed AZURITE_VERSION AZURITE_DIR
