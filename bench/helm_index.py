"""Run `helm repo index` (Helm's own Go code) on a folder in this process; print JSON
{"seconds": wall time, "maxrss_kb": peak RSS}. Runs as its own process: helm_python must
not share a process that forks."""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> None:
    import helm_python

    folder = sys.argv[1]
    started = time.perf_counter()
    helm_python.repo_index_generate(folder)
    seconds = time.perf_counter() - started
    os.remove(os.path.join(folder, "index.yaml"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "maxrss_kb": rss}))


if __name__ == "__main__":
    main()
