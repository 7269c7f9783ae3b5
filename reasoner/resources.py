"""One locator for the data files: the ontology modules, SHACL shapes and SPARQL queries.

``ontology/`` and ``queries/`` live at the repository root, where Protégé and SPARQL users open
them. An installed wheel carries them byte-identical under ``reasoner/data/`` (copied at build
time by ``setup.py``; never kept as a second copy in the source tree). This module finds them in
either place, so no other module builds a data path by hand.

The modules of the knowledge base are the ``owl:imports`` of the top ontology
(``ontology/her2neg.ttl``), resolved to local files through ``ontology/catalog-v001.xml`` exactly as
Protégé resolves them.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources as importlib_resources
from pathlib import Path

import rdflib
from rdflib.namespace import OWL

from reasoner.errors import KnowledgeBaseError

__all__ = [
    "TOP_ONTOLOGY_IRI",
    "TOP_ONTOLOGY_FILE",
    "CATALOG_FILE",
    "DATA_DIR_ENV",
    "data_root",
    "ontology_dir",
    "queries_dir",
    "shapes_dir",
    "top_ontology_path",
    "catalog_path",
    "read_catalog",
    "imported_iris",
    "module_paths",
]

TOP_ONTOLOGY_IRI = "https://w3id.org/her2neg/kb"
TOP_ONTOLOGY_FILE = "her2neg.ttl"
CATALOG_FILE = "catalog-v001.xml"
#: Environment variable that points at a folder holding ``ontology/`` and ``queries/`` (optional).
DATA_DIR_ENV = "HER2NEG_DATA_DIR"

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def _has_data(root: Path) -> bool:
    return (root / "ontology" / TOP_ONTOLOGY_FILE).is_file()


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder that holds ``ontology/`` and ``queries/``.

    Looked up in this order: the folder named by ``$HER2NEG_DATA_DIR``; the package data of an
    installed wheel (``reasoner/data``); the repository root of a source checkout.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        root = Path(override).expanduser().resolve()
        if not _has_data(root):
            raise KnowledgeBaseError(
                f"no ontology/{TOP_ONTOLOGY_FILE} under {root}",
                where=f"${DATA_DIR_ENV}",
                hint="point it at a folder holding ontology/ and queries/, or unset it",
            )
        return root
    packaged = importlib_resources.files("reasoner") / "data"
    if isinstance(packaged, Path) and _has_data(packaged):
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if _has_data(checkout):
        return checkout
    raise KnowledgeBaseError(
        f"cannot find ontology/{TOP_ONTOLOGY_FILE}",
        where=f"{packaged} and {checkout}",
        hint="reinstall the package (the wheel carries ontology/ and queries/) or run from a checkout",
    )


def ontology_dir() -> Path:
    """The folder of the ontology modules (``ontology/``)."""
    return data_root() / "ontology"


def queries_dir() -> Path:
    """The folder of the SPARQL queries (``queries/``)."""
    return data_root() / "queries"


def shapes_dir() -> Path:
    """The folder of the SHACL shapes (``ontology/shapes/``)."""
    return ontology_dir() / "shapes"


def top_ontology_path() -> Path:
    """The top ontology, ``ontology/her2neg.ttl``, which imports every module."""
    return ontology_dir() / TOP_ONTOLOGY_FILE


def catalog_path() -> Path:
    """The XML catalog (``ontology/catalog-v001.xml``) mapping ontology IRIs to local files."""
    return ontology_dir() / CATALOG_FILE


def read_catalog(path: Path | None = None) -> dict[str, Path]:
    """Map every IRI named in an OASIS XML catalog to the local file it points at.

    Relative ``uri`` attributes are resolved against the catalog's folder, as Protégé does.
    """
    path = path or catalog_path()
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise KnowledgeBaseError(f"cannot read the catalog: {exc}", where=str(path)) from exc
    mapping: dict[str, Path] = {}
    for element in root.iter(f"{_CATALOG_NS}uri"):
        name, uri = element.get("name"), element.get("uri")
        if name and uri:
            mapping[name] = (path.parent / uri).resolve()
    return mapping


def imported_iris(path: Path | None = None) -> list[str]:
    """The ``owl:imports`` of the top ontology (or of the given module file), sorted."""
    path = path or top_ontology_path()
    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for syntax errors
        raise KnowledgeBaseError(f"cannot parse: {exc}", where=str(path)) from exc
    return sorted(str(o) for _s, o in graph.subject_objects(OWL.imports))


def module_paths(*, allow_missing: bool = False) -> list[Path]:
    """The files of the knowledge base: the top ontology followed by every module it imports.

    Each import is resolved through the catalog. An import that the catalog does not map, or
    whose file does not exist, raises :class:`~reasoner.errors.KnowledgeBaseError` - a missing
    module (for example the contraindications) must never go unnoticed. ``allow_missing=True``
    skips such imports instead; it is for tools that work on a knowledge base under construction.
    """
    catalog = read_catalog()
    paths = [top_ontology_path()]
    for iri in imported_iris():
        path = catalog.get(iri)
        if path is None:
            if allow_missing:
                continue
            raise KnowledgeBaseError(
                f"owl:imports <{iri}> is not mapped in {CATALOG_FILE}",
                where=str(top_ontology_path()),
                hint=f'add a <uri name="{iri}" uri="FILE.ttl"/> line to the catalog',
            )
        if not path.is_file():
            if allow_missing:
                continue
            raise KnowledgeBaseError(
                f"the module file of <{iri}> does not exist",
                where=str(path),
                hint="create the module or remove its import from her2neg.ttl",
            )
        if path not in paths:
            paths.append(path)
    return paths
