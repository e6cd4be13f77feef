# Redis for the shared-cache tests (--cache=redis).
apt_install redis-server
