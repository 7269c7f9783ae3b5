"""FHIR R4 / mCODE input: a Bundle (or NDJSON of resources) -> a patient record of the JSON contract.

Public API:

- :func:`is_fhir` -- content detection.
- :func:`bundle_to_record` -- map a Bundle to a record plus a :class:`MappingReport`.
- :func:`record_to_bundle` -- the reverse, a collection Bundle.

Resources are parsed with the ``fhir.resources`` R4B models (R4B and R4 share these resources);
malformed input raises :class:`reasoner.errors.FhirError` naming the entry, resource and element.
The mapping table is in ``docs/fhir-mapping.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .drugs import DrugLookup, load_drug_lookup
from .export import record_to_bundle
from .mapping import map_resources
from .parse import is_fhir, parse_input
from .report import ConflictEntry, FhirImport, IgnoredEntry, MappingEntry, MappingReport, MissingEntry

__all__ = [
    "is_fhir",
    "bundle_to_record",
    "record_to_bundle",
    "FhirImport",
    "MappingReport",
    "MappingEntry",
    "IgnoredEntry",
    "ConflictEntry",
    "MissingEntry",
    "DrugLookup",
    "load_drug_lookup",
]


def bundle_to_record(
    data: Any, *, as_of: dt.date | None = None, drugs: DrugLookup | None = None
) -> FhirImport:
    """Map a FHIR R4 Bundle (collection, transaction, searchset), a single resource, or NDJSON of
    resources to a patient record.

    ``data`` is a dict, JSON text/bytes, or NDJSON text. ``as_of`` is the decision date (age is
    computed to it and it is written as the record's ``as_of``; default: today, not written).
    ``drugs`` overrides the drug index read from ``ontology/drugs.ttl``.

    Returns a :class:`FhirImport` (``record`` + ``report``). Raises :class:`reasoner.errors.FhirError`
    for malformed input and :class:`reasoner.errors.KnowledgeBaseError` if the drug ontology is missing.
    """
    parsed = parse_input(data)
    lookup = drugs if drugs is not None else load_drug_lookup()
    return map_resources(parsed, drugs=lookup, as_of=as_of)
