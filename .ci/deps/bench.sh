# The benchmark's load generator and its static-file reference server.
apt_install wrk nginx-light docker-registry
