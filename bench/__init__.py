"""Side-by-side benchmarks of the server against `helm repo index` and nginx."""
