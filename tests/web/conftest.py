"""Fixtures of the web app tests: ``app``, ``client`` and ``runner`` (as in the Flask
tutorial) on a private copy of the demo workspace with one user per role, their API
tokens, and helpers that look at a reply the way the contract checks do."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from webcheck import PASSWORD, USERS

from geoservice.web import add_user, create_app


@pytest.fixture(scope="session")
def web_workspace(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo workspace with the users of :data:`USERS` (built once; copied per test)."""
    root = tmp_path_factory.mktemp("web") / "ws"
    shutil.copytree(demo_workspace, root)
    tokens = {name: add_user(root, name, role, PASSWORD, worker, localities=scope)
              for name, (role, worker, scope) in USERS.items()}
    return root, tokens


@pytest.fixture
def workspace_root(web_workspace: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A private copy of the web workspace that a test may change."""
    root = tmp_path / "ws"
    shutil.copytree(web_workspace[0], root)
    return root


@pytest.fixture
def tokens(web_workspace: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """API token per username."""
    return web_workspace[1]


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Settings a test may change before ``app`` is built (override this fixture)."""
    return {}


@pytest.fixture
def app(workspace_root: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The web app on a private workspace copy."""
    app = create_app({"WORKSPACE": str(workspace_root), "TESTING": True, "SOLVER_TIME_LIMIT": 4, **app_config})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (no login)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner of the app's ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def auth(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    """``auth("ada-admin")``: the Authorization header of that user's token."""
    return lambda username: {"Authorization": f"Bearer {tokens[username]}"}


