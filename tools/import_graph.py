"""Print the import graph of the ``reasoner`` package (module -> module edges inside it).

    PYTHONPATH=$PWD python tools/import_graph.py > docs/import-graph-after.txt

Built with grimp (the graph import-linter uses; in the ``[test]`` extra). Every import counts,
also the ones inside functions (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not. The report has three parts: the edges between the top-level units
of the package (``reasoner.ingest``, ``reasoner.graph``, ...), the cycles among modules (strongly
connected components), and every module -> module edge.
"""

from __future__ import annotations

import sys
from collections import defaultdict

PACKAGE = "reasoner"

# The order the pipeline flows in (ingest -> graph -> validation -> inference -> query -> result ->
# cli): a module may import modules of its own layer or an earlier one, never a later one. Modules
# that serve every step come first: errors, the data-file locator, the namespaces (vocab), the one
# vocabulary (terminology) and the record schema. The knowledge base (kb) is loaded into a query
# backend and holds result types, so it comes after result; the engine wires them all.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("reasoner.errors", "reasoner.textsafe", "reasoner.resources", "reasoner.cache", "reasoner.runtime"),
    ("reasoner.vocab",),
    # the one vocabulary of names and codes, and the record schema (JSON fields <-> ontology
    # properties) that reading RDF input (ingest) and building patient graphs (graph) share
    ("reasoner.terminology", "reasoner.graph.vocab", "reasoner.graph.mapping"),
    ("reasoner.ingest",),
    ("reasoner.graph",),
    ("reasoner.validation",),
    ("reasoner.inference",),
    ("reasoner.query",),
    ("reasoner.result", "reasoner.result_rules"),
    ("reasoner.kb",),
    ("reasoner.engine",),
    ("reasoner.views", "reasoner.ontology", "reasoner.cohort"),
    ("reasoner.report", "reasoner.serve", "reasoner.batch", "reasoner.hooks", "reasoner.spark"),
    ("reasoner.cli",),
    ("reasoner.__main__",),
)


def build():
    import grimp

    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)


def module_edges(graph) -> set[tuple[str, str]]:
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module:
                edges.add((module, imported))
    return edges


def unit(module: str) -> str:
    """The unit of a module: the most specific name of :data:`LAYERS` it is in (``reasoner.graph.mapping``
    is a unit of its own), else its top-level package (``reasoner.ingest.fhir.codes`` -> ``reasoner.ingest``)."""
    names = [n for layer in LAYERS for n in layer if module == n or module.startswith(n + ".")]
    if names:
        return max(names, key=len)
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def unit_edges(edges) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for a, b in edges:
        ua, ub = unit(a), unit(b)
        if ua != ub and ub != PACKAGE:
            counts[(ua, ub)] += 1
    return counts


def cycles(edges) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    succ: dict[str, list[str]] = defaultdict(list)
    nodes = set()
    for a, b in edges:
        succ[a].append(b)
        nodes.update((a, b))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(succ[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def layer_of(module: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        for name in layer:
            if module == name or module.startswith(name + "."):
                return i
    return None


def back_edges(edges) -> list[tuple[str, str]]:
    """Edges from a unit to a unit of a later layer (against the pipeline's order)."""
    out = []
    for a, b in sorted(edges):
        la, lb = layer_of(a), layer_of(b)
        if la is not None and lb is not None and lb > la:
            out.append((a, b))
    return out


def report(graph) -> str:
    edges = module_edges(graph)
    units = unit_edges(edges)
    cyc = cycles(edges)
    back = back_edges(edges)
    unit_cycles = cycles(set(units))
    lines = [
        f"# import graph of `{PACKAGE}` (grimp; imports inside functions included, TYPE_CHECKING excluded)",
        f"# {len(graph.modules)} modules, {len(edges)} module edges, {len(units)} unit edges, "
        f"{len(cyc)} module cycles, {len(unit_cycles)} unit cycles, {len(back)} back-edges against the layer order",
        "",
        "## layer order (a unit may import units of its own or an earlier layer)",
    ]
    lines += ["  " + " | ".join(layer) for layer in LAYERS]
    lines += ["", "## unit -> unit (number of module edges)"]
    lines += [f"{a} -> {b}  ({n})" for (a, b), n in sorted(units.items())]
    lines += ["", "## cycles between units"]
    lines += ["  " + " <-> ".join(c) for c in unit_cycles] or ["  (none)"]
    lines += ["", "## cycles between modules (strongly connected components)"]
    lines += ["  " + " <-> ".join(c) for c in cyc] or ["  (none)"]
    lines += ["", "## back-edges against the layer order"]
    lines += [f"  {a} -> {b}" for a, b in back] or ["  (none)"]
    lines += ["", "## module -> module"]
    lines += [f"{a} -> {b}" for a, b in sorted(edges)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(report(build()))
