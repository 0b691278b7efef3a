"""The web app: maps for managers, co-ordinators and outreach teams, today's route on a
worker's phone, and a JSON API, with logins, roles and an audit log.

``create_app(config)`` builds the Flask app; ``serve(workspace, host, port)`` runs it
under waitress; ``add_user(workspace, username, role, password, worker_id)`` adds a
user and returns their API token; ``revoke_tokens(workspace, username)`` and
``set_password(workspace, username, password)`` revoke a user's tokens and sessions or
change their password.
"""

from geoservice.web.accounts import add_user, revoke_tokens, set_password
from geoservice.web.app import create_app
from geoservice.web.server import serve

__all__ = ["add_user", "create_app", "revoke_tokens", "serve", "set_password"]
