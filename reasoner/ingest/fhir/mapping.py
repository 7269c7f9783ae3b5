"""FHIR R4 resources (validated R4B models) -> a patient record of the JSON contract.

Rules that hold throughout: only contract keys are written; a fact that is not in the bundle stays
absent (never a negative); equivocal or indeterminate results are never read as negative; every
inference is written into the report; contradictions become report conflicts.
"""

from __future__ import annotations

import datetime as dt

from .assembly import Assembly
from .consistency import ConsistencyChecks
from .drugs import DrugLookup
from .map_condition import ConditionMapper
from .map_medication import MedicationMapper
from .map_observation import ObservationMapper
from .map_patient import PatientMapper
from .map_procedure import ProcedureMapper
from .parse import ParsedInput
from .report import FhirImport, MappingReport

__all__ = ["map_resources"]


class _Mapper(PatientMapper, ConditionMapper, ObservationMapper, MedicationMapper, ProcedureMapper,
              Assembly, ConsistencyChecks):
    """The mapper of one bundle: the per-resource mappers, assembly and consistency checks together."""


def map_resources(parsed: ParsedInput, *, drugs: DrugLookup, as_of: dt.date | None) -> FhirImport:
    """Map validated resources to a record plus report (see :func:`reasoner.ingest.fhir.bundle_to_record`)."""
    mapper = _Mapper(parsed, drugs, as_of)
    record = mapper.assemble()
    report = MappingReport(
        tuple(mapper.mapped), tuple(mapper.ignored), tuple(mapper.conflicts), tuple(mapper.missing)
    )
    return FhirImport(record=record, report=report)
