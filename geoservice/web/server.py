"""``outreach serve``: the web app under waitress, a production WSGI server."""

from __future__ import annotations

import logging
from pathlib import Path

from geoservice.web.app import create_app


def serve(workspace: str | Path, host: str = "127.0.0.1", port: int = 8080, *, threads: int = 8) -> None:
    """Serve the web app of ``workspace`` on ``host:port`` until interrupted.

    Parameters
    ----------
    workspace
        The workspace folder (made by ``outreach demo`` or ``outreach import``).
    host
        Address to listen on; the default listens on this machine only. Put a TLS proxy in
        front (and set ``OUTREACH_SESSION_COOKIE_SECURE=true``) before opening it to a network.
    port
        TCP port.
    threads
        Worker threads of the server.

    Raises
    ------
    WorkspaceError
        No workspace at ``workspace``.
    """
    import waitress

    app = create_app({"WORKSPACE": str(workspace)})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    waitress.serve(app, host=host, port=port, threads=threads, ident="outreach-planner",
                   clear_untrusted_proxy_headers=True)
