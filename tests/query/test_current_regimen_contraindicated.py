"""A drug she is on now has a blocking contraindication: the warning CURRENT_REGIMEN_CONTRAINDICATED.

Its condition is a query, ``queries/warnings/current-regimen-contraindicated.rq`` (also the cohort
safety report of current treatment), with a compiled twin in ``reasoner/query/fastpath.py``; its
code, text and condition (the action, the patient property of the drugs) are data of
``h2n:warning-current-regimen-contraindicated`` in ``ontology/advice.ttl``. Result assembly only
renders the rows. The expectations come from the labels (the contraindication table of
``tests/contraindication_truth.py``, written from the reference material, not from the knowledge
base): a patient on a drug the label contraindicates for her is warned, naming the drug; a patient
whose record triggers nothing is not; a laboratory value that is not recorded is never taken as
past a threshold, and one that cannot be read is never taken as below it.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine import Engine
from reasoner.query.backends import OxigraphBackend, RdflibBackend
from reasoner.query.catalog import get_query
from reasoner.query.fastpath import WARNING_OF_QUERY, CompiledKnowledge, contraindication_text, value_text
from reasoner.result.assemble import WARNING_QUERIES
from reasoner.serve import cohort_triples
from tests.contraindication_truth import CONDITION_BLOCKS, MEDICATION_BLOCKS, ground_truth_blocked

QUERY = "current-regimen-contraindicated"
CODE = "CURRENT_REGIMEN_CONTRAINDICATED"
GRAPH = "urn:her2neg:test:current-regimen-contraindicated"
H2N = "https://w3id.org/her2neg/kb/"

# First-line HR+/HER2-negative metastatic disease, on a regimen started after the diagnosis.
BASE = {
    "as_of": "2026-11-01", "sex": "female", "age": 66, "menopausal_status": "postmenopausal",
    "setting": "metastatic",
    "receptors": {"er_percent": 90, "pr_percent": 40, "her2_ihc": "0", "specimen": "metastasis"},
    "metastatic": {"diagnosis_date": "2026-09-20", "de_novo": True, "sites": ["bone"]},
}


def on(drugs: list[str], pid: str = "on-drugs", **extra) -> dict:
    """A patient on ``drugs`` now (an ongoing metastatic regimen), with ``extra`` fields."""
    return {**BASE, "id": pid, "therapies": [{"drugs": drugs, "setting": "metastatic", "start": "2026-10-01"}],
            **extra}


def warned(result) -> list[str]:
    return [w.text for w in result.warnings if w.code == CODE]


@pytest.fixture(scope="module")
def engines(kb):
    return Engine(kb, evaluator="fastpath"), Engine(kb, evaluator="sparql")


def _rows(engine: Engine, ref: Engine, record: dict) -> tuple[list, list]:
    """The query's rows for one record by SPARQL (the reference) and by the compiled evaluator."""
    key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
    prepared = [p for p in ref._prepare_many([record]) if p.status == "ok"]
    sparql, compiled = [], []
    for p in prepared:
        graphs = {p.iri: ref._patient_triples(p)}
        sparql += ref._query_batch_sparql([p], graphs)[p.iri][QUERY]
        compiled += engine._query_batch([p], graphs)[p.iri][QUERY]
    return sorted(sparql, key=key), sorted(compiled, key=key)


def test_the_warning_is_a_query_of_both_evaluators():
    assert QUERY in WARNING_QUERIES and WARNING_OF_QUERY[QUERY] == ("warning-current-regimen-contraindicated",)
    assert get_query(QUERY).kind == "warnings"


def test_qtcf_of_450_or_more_on_ribociclib_is_warned(engines):
    """Kisqali USPI 5 (QT interval prolongation): initiate ribociclib only with a QTcF below 450 ms."""
    record = on(["ribociclib", "letrozole"], "qtcf-472", labs={"qtcf_ms": 472})
    for engine in engines:
        texts = warned(engine.run([record])[0])
        assert len(texts) == 1, texts
        assert texts[0].startswith("ribociclib is part of an ongoing regimen") and "QTcF 472 ms" in texts[0]
        assert not any(t.startswith("letrozole") for t in texts)
    sparql, compiled = _rows(*engines, record)
    assert sparql == compiled and [r["drugLabel"] for r in sparql] == ["ribociclib"]
    assert sparql[0]["trigger"] == H2N + "qtcfMs" and sparql[0]["value"] == 472


def test_qtcf_below_450_is_not_warned(engines):
    record = on(["ribociclib", "letrozole"], "qtcf-430", labs={"qtcf_ms": 430})
    for engine in engines:
        assert warned(engine.run([record])[0]) == []
    assert _rows(*engines, record) == ([], [])


def test_a_record_that_triggers_nothing_is_not_warned(engines):
    """Letrozole with no condition, medication or laboratory value that a label names: nothing to warn."""
    record = on(["letrozole"], "nothing")
    for engine in engines:
        assert warned(engine.run([record])[0]) == []
    assert _rows(*engines, record) == ([], [])


def test_a_strong_cyp3a4_inhibitor_on_palbociclib_is_warned_naming_the_medication(engines):
    """Ibrance USPI 7.1: avoid strong CYP3A inhibitors (itraconazole is one: FDA Table 1). The
    medication matches by its interaction class; the text names it as the record does, capitalised."""
    record = on(["palbociclib", "letrozole"], "itraconazole", medications=["itraconazole"])
    for engine in engines:
        texts = warned(engine.run([record])[0])
        assert texts and all(t.startswith("palbociclib is part of an ongoing regimen") for t in texts)
        assert any("Itraconazole" in t for t in texts)
    sparql, compiled = _rows(*engines, record)
    assert sparql == compiled and {r["trigger"] for r in sparql} == {"itraconazole"}


def test_dpd_deficiency_on_capecitabine_is_warned(engines):
    """Xeloda SmPC 4.3 (known complete DPD deficiency) and the US boxed warning."""
    record = {**on(["capecitabine"], "dpd", conditions=["dpd_deficiency"]),
              "receptors": {"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis"}}
    for engine in engines:
        texts = warned(engine.run([record])[0])
        assert texts and all(t.startswith("capecitabine is part of an ongoing regimen") for t in texts)
    sparql, compiled = _rows(*engines, record)
    assert sparql == compiled and {r["trigger"] for r in sparql} == {H2N + "cond-dpd-deficiency"}


def test_an_unrecorded_or_unreadable_qtcf_is_never_read_as_absent(engines):
    """Unknown is not negative. A QTcF that is not recorded is not past the threshold: no
    contraindication is claimed for the ribociclib she is on, and for a patient not yet on it the
    ribociclib options still say to check the QTcF before starting (Kisqali USPI 5: ECG before
    starting). A QTcF that cannot be read as a number is not taken as below 450 ms: the record is
    invalid, with the field named, and nothing is offered or continued."""
    unknown = on(["ribociclib", "letrozole"], "qtcf-unknown")
    untreated = {**BASE, "id": "qtcf-unknown-untreated"}
    for engine in engines:
        result = engine.run([unknown])[0]
        assert result.status == "ok" and warned(result) == []
        result = engine.run([untreated])[0]
        starts = [o for o in result.options if "ribociclib" in o.drugs]
        assert starts and all(any("QTcF" in c for c in o.cautions) for o in starts)
    for value in ("high", None, "472 ms"):
        record = on(["ribociclib", "letrozole"], "qtcf-unreadable", labs={"qtcf_ms": value})
        for engine in engines:
            result = engine.run([record])[0]
            assert result.status == "invalid" and not result.options and warned(result) == []
            assert any(v.path == "labs.qtcf_ms" for v in result.validation)


@pytest.mark.parametrize("value, text", [(472, "472"), (472.0, "472"), (5.5, "5.5"), (0.00001, "0.00001"),
                                         (29.99, "29.99"), (449.5, "449.5")])
def test_values_are_written_as_the_query_writes_them(value, text):
    """STR of the xsd:decimal the patient graph holds, whole numbers without decimals."""
    assert value_text(value) == text
    assert contraindication_text("CrCl {value}: {medication} and {medication}", "rifampicin", value) == \
        f"CrCl {text}: Rifampicin and Rifampicin"


def test_the_query_gives_the_same_rows_on_rdflib_and_oxigraph(kb, engines):
    """Portable SPARQL 1.1: the same rows on both embedded stores (the endpoint and Virtuoso are
    held to them by tests/query/test_backend_compliance.py), and the compiled evaluator's rows."""
    records = [on(["ribociclib", "letrozole"], "a", labs={"qtcf_ms": 472.25}, conditions=["long_qt_syndrome"]),
               on(["capecitabine"], "b", labs={"crcl_ml_min": 0.00001}, conditions=["dpd_deficiency"],
                  receptors={"er_percent": 0, "pr_percent": 0, "her2_ihc": "0", "specimen": "metastasis"}),
               on(["palbociclib", "fulvestrant"], "c", medications=["clarithromycin", "rifampicin"]),
               on(["letrozole"], "d")]
    triples = list(cohort_triples(kb.engine, records))
    key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
    results = []
    for backend in (OxigraphBackend(kb.files), RdflibBackend(kb.files)):
        backend.add_patient_triples(GRAPH, triples)
        results.append(sorted(backend.select(get_query(QUERY).text, graphs=[GRAPH]), key=key))
    assert results[0] == results[1]
    assert {r["patient"].rsplit("/", 1)[-1] for r in results[0]} == {"a", "b", "c"}
    assert any("Creatinine clearance 0.00001 mL/min" in r["message"] for r in results[0])
    compiled = CompiledKnowledge(OxigraphBackend(kb.files))
    patients = sorted({str(s) for s, p, o in triples if str(o) == H2N + "Patient"})
    rows = sorted((r for iri in patients for r in compiled.all_rows(iri, triples)[QUERY]), key=key)
    assert rows == results[0]


# Drugs the label table names, labs at and around each threshold (whole and not), conditions and
# medications that block some of them, and ones that block nothing.
_DRUGS = sorted({d for s in (*CONDITION_BLOCKS.values(), *MEDICATION_BLOCKS.values()) for d in s}
                | {"letrozole", "alpelisib", "olaparib", "zoledronic acid"})
_LABS = {"qtcf_ms": [430, 449.5, 450, 472.25], "lvef_percent": [45, 49.9, 50, 62],
         "hba1c_percent": [6.4, 6.45, 7.9, 8.0], "crcl_ml_min": [0.00001, 9.5, 19.99, 29.99, 30, 55],
         "calcium_mg_dl": [8.0, 11.2]}


@st.composite
def patients_on_drugs(draw):
    drugs = draw(st.lists(st.sampled_from(_DRUGS), min_size=1, max_size=2, unique=True))
    record = on(drugs, f"hyp-{draw(st.integers(0, 10**6))}")
    conditions = draw(st.lists(st.sampled_from(sorted(set(CONDITION_BLOCKS) - {"pregnancy", "breastfeeding"})
                                               + ["diabetes_type2"]), max_size=2, unique=True))
    if conditions:
        record["conditions"] = sorted(conditions)
    medications = draw(st.lists(st.sampled_from(sorted(MEDICATION_BLOCKS) + ["metformin"]), max_size=2, unique=True))
    if medications:
        record["medications"] = sorted(medications)
    labs = {k: draw(st.sampled_from(v)) for k, v in _LABS.items() if draw(st.booleans())}
    if labs:
        record["labs"] = labs
    if draw(st.booleans()):
        record["child_pugh"] = draw(st.sampled_from(["A", "B", "C"]))
    return record


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=patients_on_drugs())
def test_generated_patients_on_drugs_are_warned_as_the_labels_say_on_both_evaluators(engines, record):
    sparql, compiled = _rows(*engines, record)
    assert sparql == compiled
    fast, ref = engines
    result = fast.run([record])[0]
    assert result.to_dict() == ref.run([record])[0].to_dict()
    if result.status != "ok":
        return
    texts = warned(result)
    ongoing = set(record["therapies"][0]["drugs"])
    for drug in ongoing & ground_truth_blocked(record):
        assert any(t.startswith(f"{drug} is part of an ongoing regimen") for t in texts), (drug, texts)
    # every warned drug is one she is on, and no option continues it (an ongoing bone-targeted agent
    # is supportive care, not part of the current regimen: that regimen may still be continued)
    warned_drugs = {r["drugLabel"] for r in compiled}
    assert warned_drugs <= ongoing
    assert not any(o.continue_current and warned_drugs & set(o.drugs) for o in result.options)
