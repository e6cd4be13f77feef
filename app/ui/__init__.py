"""The web UI's building blocks: listings, README and values rendering, page models.

The routes are in :mod:`app.blueprints.ui`; templates in ``app/templates/ui/``, static files
in ``app/static/ui/``. Everything here renders from the in-memory index and the chart memo.
"""
