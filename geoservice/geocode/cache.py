"""An address index built once per extract and loaded from a pickle after.

The workspace keeps it beside its cached road graphs (``network/``), so that every
import after the first one skips reading the extract and clustering its streets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
from functools import cache
from pathlib import Path

from geoservice.geocode import index, normalise, points, records
from geoservice.geocode.index import AddressIndex
from geoservice.io import osm_features

logger = logging.getLogger(__name__)

#: The modules whose code shapes a built index: any change to them rebuilds cached indexes.
_BUILDERS = (normalise, records, points, index, osm_features)


def cached_address_index(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str],
                         threshold: float = 0.8, street_cutoff: float = 0.8) -> AddressIndex:
    """`AddressIndex.from_osm_file`'s index, built once and then loaded from `cache_dir`.

    The cache entry is a pickle keyed by the extract's content (SHA-256), the options,
    the Python version and the source of the modules that build the index; any change
    rebuilds it. A corrupt or unreadable entry is rebuilt, never fatal; older entries
    for the same file name are removed. Only point `cache_dir` at a folder you trust:
    loading a pickle runs code from it.

    Parameters
    ----------
    path
        The ``.osm`` or ``.osm.pbf`` extract.
    cache_dir
        Folder for cache entries (a workspace's ``network/``); created if missing.
    threshold, street_cutoff
        As for `AddressIndex`.

    Returns
    -------
    AddressIndex
        Equal in every match to ``AddressIndex.from_osm_file(path, ...)``.

    Raises
    ------
    FileNotFoundError, ValueError
        When the extract is missing or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OSM extract not found: {path}")
    key = _cache_key(path, threshold=threshold, street_cutoff=street_cutoff)
    folder = Path(cache_dir)
    prefix = f"{path.name}.address-index."
    entry = folder / f"{prefix}{key[:24]}.pickle"
    if entry.is_file():
        try:
            with entry.open("rb") as f:
                cached = pickle.load(f)  # the workspace's own cache, written below
            if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("index"),
                                                                                      AddressIndex):
                return cached["index"]
            logger.warning("address index cache %s does not match its key; rebuilding", entry)
        except Exception as exc:  # a corrupt pickle can raise almost anything
            logger.warning("address index cache %s unreadable (%s); rebuilding", entry, type(exc).__name__)
    built = AddressIndex.from_osm_file(path, threshold=threshold, street_cutoff=street_cutoff)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump({"key": key, "index": built}, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(entry)
        for old in folder.iterdir():
            if old.name.startswith(prefix) and old.suffix == ".pickle" and old != entry:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not write address index cache %s (%s); continuing without it", entry, exc)
    return built


def _cache_key(path: Path, *, threshold: float, street_cutoff: float) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    parts = {"extract_sha256": digest.hexdigest(), "code_sha256": _code_fingerprint(),
             "python": list(sys.version_info[:2]), "threshold": threshold, "street_cutoff": street_cutoff}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@cache
def _code_fingerprint() -> str:
    """SHA-256 of the source of the modules that build an index (no version number to forget to bump)."""
    digest = hashlib.sha256()
    for module in _BUILDERS:
        digest.update(Path(module.__file__).read_bytes() if module.__file__ else module.__name__.encode())
    return digest.hexdigest()
