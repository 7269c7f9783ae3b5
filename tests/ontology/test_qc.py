"""QC queries (``queries/qc/*.rq``) over the merged knowledge base, on rdflib and on pyoxigraph.

One test per file (id = its path); zero rows = pass, and both engines must give the same rows.
A guard checks that every file on disk became a test.
"""

from __future__ import annotations

import pytest

from reasoner import resources
from reasoner.ontology.qc import run_qc

QC_DIR = resources.queries_dir() / "qc"
QC_FILES = sorted(QC_DIR.glob("*.rq"))
ROOT = resources.data_root()


def _id(path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", QC_FILES, ids=_id)
def test_qc_query(path):
    rows_rdflib = run_qc(path, engine="rdflib", allow_missing=True)
    rows_oxigraph = run_qc(path, engine="oxigraph", allow_missing=True)
    only_r = sorted(set(rows_rdflib) - set(rows_oxigraph))
    only_o = sorted(set(rows_oxigraph) - set(rows_rdflib))
    assert not only_r and not only_o, (
        f"engines disagree: rdflib only {only_r[:5]}; pyoxigraph only {only_o[:5]}"
    )
    listing = "\n".join(f"  {row}" for row in rows_rdflib[:50])
    more = f"\n  ... and {len(rows_rdflib) - 50} more" if len(rows_rdflib) > 50 else ""
    assert not rows_rdflib, f"{len(rows_rdflib)} QC rows from {_id(path)}:\n{listing}{more}"


def test_every_qc_file_is_collected(request):
    collected = [
        item for item in request.session.items if getattr(item, "originalname", "") == "test_qc_query"
    ]
    on_disk = sorted(QC_DIR.glob("*.rq"))
    if len(collected) < len(QC_FILES) and request.config.option.keyword:
        pytest.skip("a -k selection deselected some QC tests")
    assert len(QC_FILES) == len(on_disk)
    assert len(collected) == len(on_disk), f"{len(collected)} QC tests collected for {len(on_disk)} files"


def test_expected_qc_queries_exist():
    names = {p.stem for p in QC_FILES}
    expected = {
        "missing-label",
        "duplicate-label",
        "multiple-labels",
        "missing-definition",
        "missing-source",
        "missing-current-to",
        "recommendation-without-evidence",
        "recommendation-without-criteria",
        "drug-without-class",
        "broken-mapping-curie",
        "regimen-mixes-endocrine-and-chemo",
        "component-without-drug",
        "criterion-without-text",
        "dangling-reference",
        "approval-without-agency-or-status",
    }
    assert expected <= names, sorted(expected - names)


def test_qc_query_names_are_kebab_case():
    import re

    for path in QC_FILES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem), path.name


def test_qc_queries_select_the_report_shape():
    import re

    for path in QC_FILES:
        text = path.read_text(encoding="utf-8")
        assert re.search(r"SELECT\s+DISTINCT\s+\?entity\s+\?property\s+\?value\s+\?message\s+WHERE", text), (
            path.name
        )
