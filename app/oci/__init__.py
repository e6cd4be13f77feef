"""An OCI distribution registry for Helm charts, over the same storage and index.

The chart layer of a version is its stored ``.tgz``; manifests are either the one a client
pushed (kept beside the tenant's charts) or derived from the package, so a chart uploaded
through ``/api/charts`` is pullable with no extra step. Uploads in progress are staged in
the tenant's ``.oci/`` folder and expire.
"""
