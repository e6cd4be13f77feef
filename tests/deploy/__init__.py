"""Deployment tests: the Helm chart, the Dockerfile, nginx in front, installing from itself."""
