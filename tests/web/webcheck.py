"""Helpers of the web app tests: log in through the form, and look at a reply the way
the contract checks do (external references, client names, exact coordinates)."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from flask.testing import FlaskClient

PASSWORD = "correct-horse-battery"

#: username -> (role, worker id, locality scope)
USERS: dict[str, tuple[str, str | None, list[str] | None]] = {
    "ada-admin": ("admin", None, None),
    "cora-coordinator": ("coordinator", None, ["L1"]),
    "max-manager": ("manager", None, None),
    "otto-outreach": ("outreach", None, None),
    "wilma-w01": ("worker", "W01", None),
    "walt-w02": ("worker", "W02", None),
}


def csrf_token(page: str) -> str:
    """The CSRF token of a form in ``page``."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Log in through the form, as a browser does; returns the reply to the post."""
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(page)})


# -- how the contract checks replies ----------------------------------------------------------

_HOST = r"(?:https?:)?//(?!(?:127\.0\.0\.1|localhost)(?::\d+)?[/\"'])"
EXTERNAL = [re.compile(p, re.I) for p in [
    rf"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?{_HOST}",
    rf"<link\b[^>]*\bhref\s*=\s*[\"']?{_HOST}",
    rf"(?:tileLayer(?:\.wms)?|imageOverlay|videoOverlay)\(\s*[\"']{_HOST}",
    rf"url\(\s*[\"']?{_HOST}",
    rf"@import\s+(?:url\()?\s*[\"']?{_HOST}",
    rf"(?:fetch|importScripts)\(\s*[\"']{_HOST}",
    rf"[\"']?(?:iconUrl|shadowUrl|url)[\"']?\s*[:=]\s*[\"']{_HOST}",
]]
LOCAL_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(/[^\"'\s>]*)", re.I)
_NUMBER = re.compile(r"-?\d{1,3}\.\d+")


def external_reference(text: str) -> str | None:
    """The first place ``text`` makes a browser fetch from another host, or ``None``."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"(?m)^\s*//.*$", " ", text)
    for pattern in EXTERNAL:
        m = pattern.search(text)
        if m:
            return text[m.start():m.start() + 90]
    return None


def decoded(body: str) -> str:
    """``body`` with \\uXXXX escapes and HTML entities undone (as a reader sees it)."""
    return html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), body))


def exact_locations(points: list[tuple[float, float]], body: str, tol: float = 5e-5) -> int:
    """How many (lon, lat) ``points`` appear in ``body`` as a pair of consecutive numbers."""
    nums = [(m.start(), float(m.group())) for m in _NUMBER.finditer(body)]
    pairs = [(x, y) for (p, x), (q, y) in itertools.pairwise(nums) if q - p <= 40]
    return sum(any((abs(x - lat) <= tol and abs(y - lon) <= tol) or (abs(x - lon) <= tol and abs(y - lat) <= tol)
                   for x, y in pairs) for lon, lat in points)


def table_rows(page: str, title: str) -> list[list[str]]:
    """The body rows (cell texts) of the table headed ``<h2>title</h2>`` in ``page``."""
    section = page.split(f"<h2>{title}</h2>", 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
