"""Step 4 of the pipeline: what the reasoner infers about one patient.

The input is a validated, normalised patient record (drug names canonical). The output is an
:class:`Inference`: the classification shown to the user, the patient states and unknown facets
of ``ontology/states.ttl``, the derived quantities (lines of therapy) and the exposures. These are
written into the patient graph by :func:`inferred_triples` so that the SPARQL queries in
``queries/eligibility/`` can match them against the criteria of the knowledge base.

The thresholds, time windows, early-disease risk definitions and visceral sites are not written
here: they are data (``ontology/inference.ttl``), read once at load into
:class:`~reasoner.inference.parameters.InferenceParameters` (``kb.drug_classes.parameters``), and the
IRIs of states and facets are looked up by their ``skos:notation``.

Each rule here is the executable form of a definition in the ontology (the state's
``skos:definition`` cites its source); the OWL defined classes in ``classification.ttl`` say the
same for the receptor-based classification, and a test holds HermiT and this module to the same
answers.
"""

from __future__ import annotations

from reasoner.inference.classify import (
    DrugClasses,
    Inference,
    classify_receptors,
    infer,
    inferred_facts,
    inferred_triples,
)

__all__ = ["DrugClasses", "Inference", "classify_receptors", "infer", "inferred_facts", "inferred_triples"]
