# OpenStack Swift for tests/backends/test_openstack.py: Debian's Swift servers (2.30.x, with
# swift-ring-builder) run as a one-node all-in-one by tests/backends/servers/swift_server.py,
# plus memcached, which Swift's tempauth needs. Keystone is a stdlib fake (keystone_fake.py).
# Sourced by .ci/system-deps.sh (which provides apt_install); safe to re-run.
apt_install swift-proxy swift-object swift-container swift-account memcached
