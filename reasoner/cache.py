"""The start-up cache: what a cold start would otherwise derive again from the same files.

A cold ``her2neg recommend`` used to parse the ontology twice (rdflib for the vocabulary, the
enumerations and the SHACL shapes; pyoxigraph for the knowledge base), run ~50 metadata queries
and compile the fast-path knowledge before reasoning over one patient. These products depend only
on the bytes of the data files and on the code that derives them, so they are kept between runs:

- ``kb-<key>.pickle``: the knowledge base's derived tables (:meth:`KnowledgeBase.load`), the
  compiled fast-path knowledge and the default vocabulary. The key is a SHA-256 over the bytes of
  every file under ``ontology/`` and ``queries/`` (and every module the top ontology imports), the
  bytes of every ``.py`` file of the package (the package version, ``reasoner.__version__``,
  included), the Python version and the pickle format. The triple store itself is then loaded
  only when something queries it (SPARQL evaluator, ``her2neg query``, ``kb info`` counts, the servers).
- ``graph-<key>.pickle``: an rdflib graph parsed from one Turtle file (``core.ttl``, the SHACL
  shapes), keyed by that file's bytes and the rdflib version.
- ``shacl-sparql-<key>.json``: the parsed algebra of one SHACL-SPARQL constraint of the compiled
  shapes (:mod:`reasoner.validation.fastpath`), keyed by its text, prefixes and the rdflib version;
  stored as JSON (:func:`write_json`), so reading it never unpickles.

Fail closed: a file whose key does not match, that cannot be read or unpickled, that is not owned
by the current user or that others can write, is ignored and the product derived again (then
written back, atomically: a temporary file renamed over the old one). A stale cache is never used:
any edit of an ontology, query or code file changes the key.

Where: ``$HER2NEG_CACHE_DIR``, else ``$XDG_CACHE_HOME/her2neg``, else ``~/.cache/her2neg``.
``HER2NEG_NO_CACHE=1`` turns every kind off (nothing is read or written: every start derives
everything from the files); deleting the folder clears it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "NO_CACHE_ENV",
    "cache_dir",
    "cached_graph",
    "enabled",
    "files_key",
    "read",
    "read_json",
    "write",
    "write_json",
]

NO_CACHE_ENV = "HER2NEG_NO_CACHE"
FORMAT = 1
"""Version of the cached files' layout (bump when what is stored changes shape)."""
_PRUNE_AFTER_S = 7 * 24 * 3600  # files of one kind unused this long are removed when a new one is written


def enabled() -> bool:
    """False when ``$HER2NEG_NO_CACHE`` is set to anything but empty or ``0``."""
    return os.environ.get(NO_CACHE_ENV, "").strip() in ("", "0")


def cache_dir() -> Path:
    """``$HER2NEG_CACHE_DIR``, else ``$XDG_CACHE_HOME/her2neg``, else ``~/.cache/her2neg``."""
    explicit = os.environ.get("HER2NEG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "her2neg"


_SOURCE_DIGEST: str | None = None


def _source_digest() -> str:
    """SHA-256 over the package's own ``.py`` files (relative path and bytes), once per process."""
    global _SOURCE_DIGEST
    if _SOURCE_DIGEST is None:
        root = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
        _SOURCE_DIGEST = h.hexdigest()
    return _SOURCE_DIGEST


def files_key(kind: str, paths: Iterable[Path], folders: Iterable[Path] = ()) -> str:
    """The key of a product derived from these files and every file under these folders (their
    paths and bytes), the package's code (its version included: ``reasoner/__init__.py``), the
    Python version and :data:`FORMAT`."""
    h = hashlib.sha256()
    h.update(f"{kind}\0{FORMAT}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0".encode())
    h.update(_source_digest().encode())
    listed = [Path(p) for p in paths]
    for folder in folders:
        folder = Path(folder)
        if folder.is_dir():
            listed += sorted(p for p in folder.rglob("*") if p.is_file())
    for path in listed:
        h.update(str(path).encode() + b"\0")
        h.update(path.read_bytes())  # an unreadable file raises: the caller derives instead
        h.update(b"\0")
    return h.hexdigest()


_SUFFIX = {"pickle": ".pickle", "json": ".json"}


def _path(kind: str, key: str, codec: str = "pickle") -> Path:
    return cache_dir() / f"{kind}-{key[:40]}{_SUFFIX[codec]}"


def _load(kind: str, key: str, codec: str) -> Any:
    """The payload stored under this key, or None (cache off; absent, foreign, damaged or of
    another key). Only a file of this user's own, that no one else can write, is read."""
    if not enabled():
        return None
    try:
        with open(_path(kind, key, codec), "rb") as fh:
            st = os.fstat(fh.fileno())
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                return None
            if codec == "pickle":
                stored_key, payload = pickle.load(fh)
            else:
                stored = json.loads(fh.read().decode("utf-8"))
                stored_key, payload = stored["key"], stored["payload"]
        return payload if stored_key == key else None
    except Exception:  # noqa: BLE001 - absent, unreadable, truncated, from another version: derive again
        return None


def _store(kind: str, key: str, payload: Any, codec: str) -> None:
    """Store the payload under this key (atomically, readable by this user only); any failure only
    means no cache."""
    if not enabled():
        return
    tmp = None
    try:
        if codec == "pickle":
            data = pickle.dumps((key, payload), protocol=pickle.HIGHEST_PROTOCOL)
        else:
            data = json.dumps({"key": key, "payload": payload}).encode("utf-8")
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = _path(kind, key, codec)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
        _prune(folder, kind, keep=path)
    except Exception:  # noqa: BLE001 - read-only home, disk full, unpicklable: run without the cache
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def read(kind: str, key: str) -> Any:
    """The pickled payload stored under this key, or None (absent, foreign, damaged or of another key)."""
    return _load(kind, key, "pickle")


def write(kind: str, key: str, payload: Any) -> None:
    """Store the payload under this key, pickled (atomically); any failure only means no cache."""
    _store(kind, key, payload, "pickle")


def read_json(kind: str, key: str) -> Any:
    """Like :func:`read`, for a payload stored as JSON (:func:`write_json`)."""
    return _load(kind, key, "json")


def write_json(kind: str, key: str, payload: Any) -> None:
    """Like :func:`write`, for a JSON-serialisable payload (no unpickling on read)."""
    _store(kind, key, payload, "json")


def _prune(folder: Path, kind: str, keep: Path) -> None:
    cutoff = time.time() - _PRUNE_AFTER_S
    for old in folder.glob(f"{kind}-*{keep.suffix}"):
        try:
            if old != keep and old.stat().st_atime < cutoff and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def cached_graph(path: Path, parse: Callable[[Path], Any]) -> Any:
    """``parse(path)`` (an rdflib graph of a Turtle file), kept between runs keyed by the file's
    bytes and the rdflib version. Parse errors are never cached: they are raised each time."""
    if not enabled():
        return parse(path)
    try:
        import rdflib

        data = Path(path).read_bytes()
        h = hashlib.sha256(f"graph\0{FORMAT}\0{rdflib.__version__}\0{sys.version}\0"
                           f"{Path(path).resolve()}\0".encode())  # the path: the base of relative IRIs
        h.update(data)
        key = h.hexdigest()
    except Exception:  # noqa: BLE001 - let the parser report the problem
        return parse(path)
    kind = "graph-" + Path(path).stem
    graph = read(kind, key)
    if graph is not None:
        return graph
    graph = parse(path)
    write(kind, key, graph)
    return graph
