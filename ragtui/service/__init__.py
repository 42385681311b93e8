"""``ragtui serve``: one resident process per data dir that keeps the embedder, both
indexes and the model warm, follows the folders, and runs CLI commands sent to it over a
Unix socket in the data dir (owner-only). The CLI uses it when it runs and works on its
own when it does not.

:mod:`~ragtui.service.protocol` holds what both sides share (where the socket is, the
framing); :mod:`~ragtui.service.client` is all a ``ragtui`` command loads before it knows
whether a service answers, so it stays light; :mod:`~ragtui.service.server` runs the
commands with the resident Engine.
"""
