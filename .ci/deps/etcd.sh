# etcd backend tests: a real single-member etcd (Debian etcd-server, 3.4.x) started by
# tests/backends/servers/etcd_server.py with its default limits (the backend chunks values).
apt_install etcd-server
