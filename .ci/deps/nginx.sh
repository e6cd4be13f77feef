# nginx for tests/deploy/test_nginx.py: Debian's nginx-light (ssl and http2 included), started
# by the tests on free ports with the shipped deploy/nginx/*.conf, never as a system service.
# Sourced by .ci/system-deps.sh (which provides apt_install); safe to re-run.
apt_install nginx-light
