"""Define the errors raised by the routing package.

Every error subclasses a built-in (``ValueError`` or ``FileNotFoundError``) so
callers that do not know this module can still catch it, and
:class:`RoutingError` so callers that do can catch all of them at once. Messages
say what was wrong and what to do about it.
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base class for every error raised by the routing package."""


class OSMFileNotFoundError(RoutingError, FileNotFoundError):
    """An OSM extract path does not exist or is not a file."""


class OSMFileError(RoutingError, ValueError):
    """An OSM extract cannot be read: not an OSM file, malformed or truncated."""


class EmptyNetworkError(RoutingError, ValueError):
    """An OSM extract or query holds no ways usable by the requested mode."""


class UnknownNodeError(RoutingError, ValueError):
    """Node ids given to a routing function are not nodes of the graph."""


class NoRouteError(RoutingError, ValueError):
    """No path exists between two nodes of the graph."""
