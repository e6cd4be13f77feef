# Debian's Chromium and its WebDriver for tests/e2e/test_ui_browser.py (selenium drives a
# headless browser through the web UI). Sourced by .ci/system-deps.sh; safe to re-run.
apt_install chromium chromium-driver
