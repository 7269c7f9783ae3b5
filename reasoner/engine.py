"""The pipeline for one patient or many: validate → infer → patient graph → SPARQL → result.

Each step lives in its own package (``ingest``, ``graph``, ``validation``, ``inference``,
``query``, ``result``); this module only wires them together. Many patients are reasoned over in
one batch: their graphs are loaded together and every query runs once for the batch.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reasoner.graph import patient_iri
from reasoner.inference import Inference, infer, inferred_facts, inferred_triples
from reasoner.kb import KnowledgeBase
from reasoner.query.catalog import get_query
from reasoner.query.fastpath import NOT_CHECKED
from reasoner.result.assemble import WARNING_QUERIES, Assembler, _message
from reasoner.result.model import (
    Advice,
    CriterionExplanation,
    Explanation,
    Result,
    ResultWarning,
    ValidationEntry,
)
from reasoner.validation import validate_record, validate_records
from reasoner.vocab import H2N, UNRESOLVED_MEDICATION_KIND

__all__ = ["Engine", "PreparedRecord"]

_batch_counter = itertools.count()


@dataclass
class PreparedRecord:
    """A record after steps 1-4 (:meth:`Engine.prepare`): imported (FHIR), validated once, inferred.

    ``status`` is ``ok`` (ready to reason over: ``record``, ``inference``, ``iri`` and the patient
    ``graph`` validation built are set), ``invalid`` or ``out_of_scope`` (``findings`` and
    ``extra_validation`` say why). :meth:`Engine.run_prepared` turns it into a result and
    :meth:`Engine.patient_triples` gives its patient graph, neither validating it again.
    """

    index: int
    record: dict | None
    patient_id: str | None
    findings: tuple
    inference: Inference | None
    iri: str | None
    status: str
    extra_validation: tuple[ValidationEntry, ...] = ()
    extra_advice: tuple[Advice, ...] = ()
    graph: Any = None  # the patient graph validation already built (reused, never rebuilt)
    extra_warnings: tuple[ResultWarning, ...] = ()
    history_incomplete: tuple[ValidationEntry, ...] = ()  # why the treatment history is incomplete


_Prepared = PreparedRecord  # the engine's short name


@dataclass(frozen=True)
class _HistoryIncomplete:
    """Carried among an import's warnings: the treatment history cannot be read whole."""

    entries: tuple[ValidationEntry, ...]


def _set_warnings(p: _Prepared, items: tuple) -> None:
    p.extra_warnings = tuple(w for w in items if not isinstance(w, _HistoryIncomplete))
    p.history_incomplete = tuple(e for w in items if isinstance(w, _HistoryIncomplete) for e in w.entries)
    if p.history_incomplete:
        p.extra_validation = tuple(p.extra_validation) + p.history_incomplete




def _text_id(raw: Any) -> str | None:
    """The record's id when it is text that can be written out (no lone surrogate), else None."""
    from reasoner.ingest.limits import has_lone_surrogate

    pid = raw.get("id") if isinstance(raw, dict) else None
    return pid if isinstance(pid, str) and not has_lone_surrogate(pid) else None








class Engine:
    """Runs the pipeline against one loaded :class:`~reasoner.kb.KnowledgeBase`."""

    def __init__(self, kb: KnowledgeBase, *, evaluator: str = "fastpath"):
        """``evaluator``: ``"sparql"`` runs the queries of ``queries/`` on the knowledge base's store
        (the reference); ``"fastpath"`` (default) evaluates the same queries compiled to Python
        (:mod:`reasoner.query.fastpath`, held to identical rows by the tests)."""
        if evaluator not in ("fastpath", "sparql"):
            from reasoner.errors import UsageError

            raise UsageError(f"unknown evaluator {evaluator!r}", hint="use fastpath or sparql")
        self.kb = kb
        self.evaluator = evaluator
        self._assembler = Assembler(kb)
        self._compiled = None
        if evaluator == "fastpath":
            from reasoner.query.fastpath import compile_knowledge

            self._compiled = compile_knowledge(kb)
        self._queries = {
            name: get_query(name).text
            for name in ("rules-in-scope", "criterion-status", "contraindicated-drugs", NOT_CHECKED,
                         *WARNING_QUERIES)
        }

    # -- step 1-4: validation and inference ----------------------------------------------------

    def _import(self, index: int, raw: Any) -> tuple[Any, tuple[ResultWarning, ...], _Prepared | None]:
        """A FHIR bundle mapped to a record (with its warnings); anything else as is."""
        fhir_warnings: tuple[ResultWarning, ...] = ()
        if isinstance(raw, dict) and "resourceType" in raw:
            from reasoner.errors import FhirError
            from reasoner.ingest.fhir import bundle_to_record, is_fhir

            if is_fhir(raw):
                try:
                    imported = bundle_to_record(raw, drugs=self.kb.vocabulary)
                except FhirError as exc:
                    entry = ValidationEntry("violation", exc.where or "bundle", exc.message)
                    return raw, (), _Prepared(index, None, _text_id(raw), (), None, None, "invalid",
                                              extra_validation=(entry,))
                raw = imported.record
                fhir_warnings = tuple(ResultWarning(w["code"], w["text"]) for w in imported.report.warnings())
                unresolved = tuple(c for c in imported.report.conflicts if c.kind == UNRESOLVED_MEDICATION_KIND)
                if unresolved:  # the history is incomplete: carried with the record to _prepare
                    return raw, fhir_warnings + (_HistoryIncomplete(tuple(
                        ValidationEntry("warning", c.resources[0] + ".medication[x]" if c.resources else "bundle",
                                        c.text) for c in unresolved)),), None
        return raw, fhir_warnings, None

    def _prepare(self, index: int, raw: Any, outcome: Any = None) -> _Prepared:
        raw, fhir_warnings, failed = self._import(index, raw)
        if failed is not None:
            return failed
        prepared = self._prepare_record(index, raw, outcome)
        _set_warnings(prepared, fhir_warnings)
        return prepared

    def _prepare_many(self, records: Sequence[Any]) -> list[_Prepared]:
        """``_prepare`` for many records with one batched validation (same findings as one call each)."""
        imported = [self._import(i, raw) for i, raw in enumerate(records)]
        outcomes = iter(validate_records([raw for raw, _, failed in imported if failed is None],
                                          catalog=self.kb.vocabulary))  # the knowledge base's own vocabulary
        prepared = []
        for i, (raw, fhir_warnings, failed) in enumerate(imported):
            if failed is not None:
                prepared.append(failed)
                continue
            p = self._prepare_record(i, raw, next(outcomes))
            _set_warnings(p, fhir_warnings)
            prepared.append(p)
        return prepared

    def _prepare_record(self, index: int, raw: Any, outcome: Any = None) -> _Prepared:
        if outcome is None:
            outcome = validate_record(raw, catalog=self.kb.vocabulary)
        findings = tuple(outcome.findings)
        patient_id = _text_id(raw)
        if not outcome.ok or outcome.record is None:
            advice = self._assembler._validation_advice(outcome.violations)
            return _Prepared(index, None, patient_id, findings, None, None, "invalid", extra_advice=advice)
        record = outcome.record
        inference = infer(record, self.kb.drug_classes)
        texts = self.kb.result_rules.texts  # the texts of ontology/advice.ttl (h2n:ResultText)
        if inference.her2_positive:
            entry = ValidationEntry("violation", "receptors", texts["her2-positive-out-of-scope"].text())
            return _Prepared(index, record, record["id"], findings, inference, None, "out_of_scope",
                             extra_validation=(entry,))
        extra: tuple[ValidationEntry, ...] = ()
        if record.get("setting") == "locoregional_recurrence" and inference.setting == "metastatic":
            extra = (ValidationEntry("warning", "locoregional_recurrence.isolated",
                                     texts["locoregional-not-isolated"].text()),)
        if inference.subtype is None:
            entry = ValidationEntry("violation", "receptors", texts["subtype-undetermined"].text())
            return _Prepared(index, record, record["id"], findings, inference, None, "invalid",
                             extra_validation=(entry,))
        return _Prepared(index, record, record["id"], findings, inference,
                         str(patient_iri(record["id"])), "ok", extra_validation=extra, graph=outcome.graph)

    # -- step 5: SPARQL over the batch -----------------------------------------------------------

    def _query_batch(self, prepared: Sequence[_Prepared], graphs: dict[str, Any], *,
                     for_assembly: bool = False) -> dict[str, dict[str, list]]:
        """The rows of every query for each patient. ``for_assembly``: only what result assembly
        reads (the fast path then leaves out the criterion-status rows, giving them grouped by rule)."""
        if self._compiled is not None:
            return {
                p.iri: self._compiled.all_rows(
                    p.iri, graphs[p.iri], inferred_facts(p.iri, p.inference), criterion_rows=not for_assembly)
                for p in prepared
            }
        return self._query_batch_sparql(prepared, graphs)

    def _load_patients(self, graph_name: str, prepared: Sequence[_Prepared], graphs: dict[str, Any]) -> list[dict]:
        """Load patient graphs with their inferences, then the drugs their contraindications block.

        Contraindications come first because the drugs they block (``h2n:blockedDrug``) are facts
        that some criteria test. Returns the rows of ``contraindicated-drugs``.
        """
        backend = self.kb.backend
        for p in prepared:
            triples = list(graphs[p.iri]) + list(inferred_triples(_uri(p.iri), p.inference))
            backend.add_patient_triples(graph_name, triples)
        rows = backend.select(self._queries["contraindicated-drugs"], graphs=[graph_name])
        backend.add_patient_triples(graph_name, sorted({
            (_uri(row["patient"]), H2N.blockedDrug, _uri(row["drug"])) for row in rows if row["action"] == "block"
        }))
        return rows

    #: Patients per store graph for the SPARQL evaluator: the queries cost the same per patient
    #: whatever the patients in the store (benchmarks/bench_sparql.py, server part), but memory and
    #: the hash tables of one query grow with them; a bounded chunk keeps the cost per patient flat.
    SPARQL_CHUNK = 250

    def _query_batch_sparql(self, prepared: Sequence[_Prepared], graphs: dict[str, Any]) -> dict[str, dict[str, list]]:
        per_patient: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for start in range(0, len(prepared), self.SPARQL_CHUNK):
            self._query_chunk_sparql(prepared[start:start + self.SPARQL_CHUNK], graphs, per_patient)
        return per_patient

    def _query_chunk_sparql(self, prepared: Sequence[_Prepared], graphs: dict[str, Any],
                            per_patient: dict[str, dict[str, list]]) -> None:
        graph_name = f"urn:her2neg:batch:{next(_batch_counter)}"
        backend = self.kb.backend
        try:
            first = "contraindicated-drugs"
            for row in self._load_patients(graph_name, prepared, graphs):
                per_patient[row["patient"]][first].append(row)
            for name, text in self._queries.items():
                if name == first:
                    continue
                for row in backend.select(text, graphs=[graph_name]):
                    per_patient[row["patient"]][name].append(row)
        finally:
            backend.drop_graph(graph_name)

    # -- step 6 (assembling the result) is reasoner/result/assemble.py ----------------------------

    # -- public -------------------------------------------------------------------------------

    def kb_info(self, source_iris: Iterable[str] = ()) -> dict:
        """The result's ``knowledge_base`` block (version, date, and the sources named)."""
        return self._assembler.kb_info(source_iris)

    def prepare(self, records: Sequence[Any]) -> list[PreparedRecord]:
        """Steps 1-4 for many records, in input order: a FHIR bundle mapped to a record, each record
        validated once (one batched validation) and its facts inferred. Give the prepared records to
        :meth:`run_prepared` (results) and :meth:`patient_triples` (patient graphs)."""
        return self._prepare_many(records)

    def patient_triples(self, prepared: PreparedRecord) -> list[tuple]:
        """The patient graph of a prepared record (``status`` ok) as triples: the graph validation
        built from the normalised record, not built again; inferred facts are :func:`inferred_triples`."""
        if prepared.record is None:
            return []
        return self._patient_triples(prepared)

    def run(self, records: Sequence[Any], *, jurisdiction: str | None = None) -> list[Result]:
        """Results for many records, in input order (one batch of SPARQL queries)."""
        jurisdiction = self.kb.jurisdiction(jurisdiction)
        return self.run_prepared(self._prepare_many(records), jurisdiction=jurisdiction)

    def run_prepared(self, prepared: Sequence[PreparedRecord], *, jurisdiction: str | None = None) -> list[Result]:
        """Results for records :meth:`prepare` gave, in their order (steps 5-6; nothing validated again)."""
        jurisdiction = self.kb.jurisdiction(jurisdiction)
        runnable = [p for p in prepared if p.status == "ok"]
        graphs: dict[str, Any] = {}
        seen: set[str] = set()
        batches: list[list[_Prepared]] = [[]]
        for p in runnable:
            if p.iri in seen:  # the same id twice: reason over it in a batch of its own
                batches.append([])
                seen = set()
            seen.add(p.iri)
            batches[-1].append(p)
        results: dict[int, Result] = {}  # by id(): prepared records of several prepare() calls may be run together
        for batch in batches:
            if not batch:
                continue
            graphs = {p.iri: self._patient_triples(p) for p in batch}
            rows = self._query_batch(batch, graphs, for_assembly=True)
            for p in batch:
                results[id(p)] = self._assembler.assemble(p, rows.get(p.iri, {}), jurisdiction)
        out = []
        for p in prepared:
            if id(p) in results:
                out.append(results[id(p)])
            else:
                out.append(self._assembler.not_ok(p, jurisdiction))
        return out

    def explain(self, record: Any, drug: str) -> Explanation:
        """Why a drug is or is not offered, criterion by criterion (the CLI's ``explain``)."""
        p = self._prepare(0, record)
        out: Explanation = {"patient": p.patient_id, "drug": drug, "status": p.status, "rules": [],
                            "contraindications": [], "prior_progression": False}
        if p.status != "ok":
            return out
        rows = self._query_batch([p], {p.iri: self._patient_triples(p)}).get(p.iri, {})
        result = self._assembler.assemble(p, rows, None)
        out["offered_in"] = [o.id for o in result.options if drug in o.drugs]
        out["prior_progression"] = drug in p.inference.progressed
        for row in rows.get("contraindicated-drugs", []):
            if self.kb.labels.get(row["drug"]) == drug:
                info = self.kb.contraindications[row["contraindication"]]
                out["contraindications"].append({
                    "action": info.action, "type": info.kind, "text": _message(info.message, row),
                })
        statuses: dict[str, list] = defaultdict(list)
        for r in rows.get("criterion-status", []):
            statuses[r["rule"]].append(r)
        for rule_iri in sorted({r["rule"] for r in rows.get("rules-in-scope", [])}):
            rule = self.kb.rules.get(rule_iri)
            regimen = self.kb.regimens.get(rule.regimen or "") if rule else None
            if regimen is None or not any(drug in c.drugs for c in regimen.components):
                continue
            criteria: list[CriterionExplanation] = []
            for r in sorted(statuses.get(rule_iri, []), key=lambda r: r["criterion"]):
                c = self.kb.criteria.get(r["criterion"])
                if c is None:
                    continue
                status = r["status"]
                if status == "met":
                    text = c.label
                elif status == "unknown" and c.negated and c.unknown_caution:
                    status, text = "assumed", c.caution_for(p.inference.unknown_facets)
                elif status == "unknown":
                    text = c.missing_text
                else:
                    text = c.fail_text
                criteria.append({"criterion": c.label, "status": status, "text": text})
            out["rules"].append({"id": rule.id, "label": rule.label, "offered": rule.id in out["offered_in"],
                                 "criteria": criteria})
        return out

    def query(self, text: str, records: Sequence[Any], bindings: dict[str, Any] | None = None,
              *, skipped: list | None = None, with_results: bool = True) -> list[dict]:
        """Run any SELECT over the knowledge base plus the records' patient graphs and inferences.

        Records that are not ``ok`` (invalid, out of scope) are not loaded; pass a list as
        ``skipped`` to be told which: ``(index, status, first finding)`` is appended for each.
        With ``with_results`` (default) the data also hold each patient's result as triples
        (``h2n:hasOption``, ``h2n:hasExcludedOption``), as ``her2neg serve`` writes them, so that
        queries over results (``patients-eligible-for-drug``) answer the same here and on the server.
        """
        prepared = self._prepare_many(records)  # validated once, for the graphs and the results
        if skipped is not None:
            for p in prepared:
                if p.status != "ok":
                    first = next((f for f in p.findings if f.severity.value == "violation"), None)
                    reason = (f"{first.path}: {first.message}" if first is not None
                              else next((f"{v.path}: {v.message}" for v in p.extra_validation), p.status))
                    skipped.append((p.index, p.status, reason))
        graph_name = f"urn:her2neg:query:{next(_batch_counter)}"
        backend = self.kb.backend
        try:
            ok = [p for p in prepared if p.status == "ok"]
            self._load_patients(graph_name, ok, {p.iri: self._patient_triples(p) for p in ok})
            if with_results and ok:
                results = self.run_prepared(prepared)
                backend.add_patient_triples(graph_name, [
                    triple for p in ok for triple in self.result_triples(p.iri, results[p.index])])
            return backend.select(text, graphs=[graph_name], bindings=bindings)
        finally:
            backend.drop_graph(graph_name)

    def result_triples(self, iri: str, result: Result) -> list[tuple]:
        """A result as triples of the patient: ``h2n:hasOption`` per option offered and
        ``h2n:hasExcludedOption`` per recommendation ruled out."""
        subject = _uri(iri)
        triples = [(subject, H2N.hasOption, H2N[option.id]) for option in result.options]
        triples += [(subject, H2N.hasExcludedOption, H2N[item.id]) for item in result.excluded
                    if self.kb.term(item.id) in self.kb.rules]
        return triples

    def patient_graph(self, record: Any):
        """The patient graph with everything inferred for it, and the result (for ``--format turtle``)."""
        import rdflib

        from reasoner.vocab import H2N

        p = self._prepare(0, record)  # validated once: the graph and the result come from it
        graph = rdflib.Graph()
        graph.bind("h2n", H2N)
        for triple in self.patient_triples(p):
            graph.add(triple)
        result = self.run_prepared([p])[0]
        if p.status == "ok":
            subject = _uri(p.iri)
            for triple in inferred_triples(subject, p.inference):
                graph.add(triple)
            for triple in self.result_triples(p.iri, result):
                graph.add(triple)
        return graph, result

    def _patient_triples(self, p: _Prepared) -> list[tuple]:
        if p.graph is not None:  # built by validation from the same normalised record
            return list(p.graph)
        from reasoner.graph import record_to_graph

        return list(record_to_graph(p.record))



def _uri(iri: str):
    from rdflib import URIRef

    return URIRef(iri)








