"""Writes the hostile-input corpus (``corpus/``): files every input path must read without an
internal error. ``corpus/expect.json`` holds, per file, the exit code of ``her2neg recommend`` and
the statuses of the ``her2neg batch`` result lines, written from what the issue requires (an
unreadable file is exit 3; a record that cannot be carried safely is ``invalid``, exit 10)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent / "corpus"
BASE = json.loads((Path(__file__).resolve().parents[2] / "examples/patients/hr-first-line-postmenopausal.json")
                  .read_text(encoding="utf-8"))


def rec(**kw) -> dict:
    out = json.loads(json.dumps(BASE))
    out.update(kw)
    return out


def dump(value, *, ascii_=False) -> str:
    return json.dumps(value, ensure_ascii=ascii_)


FILES: dict[str, bytes | str] = {
    "deep-nesting-10000.json": "[" * 10000 + "]" * 10000,
    "deep-nesting-in-record.jsonl": dump(rec(id="ok-1")) + "\n" + '{"id": "deep", "x_a": ' + "[" * 5000 + "]" * 5000 + "}\n",
    "integer-5000-digits.json": '{"id": "big", "age": ' + "9" * 5000 + "}",
    "integer-5000-digits.jsonl": dump(rec(id="ok-1")) + "\n" + '{"id": "big", "age": ' + "9" * 5000 + "}\n",
    "u2028-in-id.json": dump(rec(id="a\u2028b")),
    "u2028-u0085-in-strings.jsonl": dump(rec(id="a\u2028b")) + "\n" + dump(rec(id="c\u0085d\u2029e")) + "\n",
    "lone-surrogate-id.json": dump(rec(id="\ud800"), ascii_=True),
    "lone-surrogate-middle-line.jsonl": "\n".join(dump(rec(id=i), ascii_=True) for i in ("p1", "\udc00x", "p3")) + "\n",
    "lone-surrogate-drug.json": dump(rec(therapies=[{"drugs": ["\ud83d"], "setting": "metastatic",
                                                      "start": "2026-01-01"}]), ascii_=True),
    "markup-in-id-and-drug.json": dump(rec(id="[/x][bold]", therapies=[{"drugs": ["[/red]"],
                                         "setting": "metastatic", "start": "2026-01-01"}])),
    "escape-sequences.json": dump(rec(id="x\x1b[2J\x1b]0;t\x07\x9b1m\u202e")),
    "newline-in-id.json": dump(rec(id="x\n<http://evil.example/s> <http://evil.example/p> <http://evil.example/o> .\n#")),
    "formula-in-id.json": dump(rec(id="=HYPERLINK(\"http://evil.example\")")),
    "jsonld-context-http.jsonld": dump({"@context": "http://10.255.255.1/never-answers.jsonld", "@id": "x"}),
    "jsonld-context-file.jsonld": dump({"@context": "file:///etc/passwd", "@id": "x"}),
    "jsonld-context-import.jsonld": dump({"@context": {"@version": 1.1, "@import": "http://127.0.0.1:9/c.jsonld"},
                                          "@id": "x"}),
    "jsonld-context-nested.jsonld": dump({"@context": {"h2n": "https://w3id.org/her2neg/kb/"}, "@graph": [
        {"@id": "x", "h2n:p": {"@context": ["https://example.org/ctx"], "@value": "v"}}]}),
    "jsonld-project-context.jsonld": dump({"@context": "https://w3id.org/her2neg/context.jsonld",
                                           "@id": "patient:x", "rdfs:label": "no patient type"}),
    "array-of-1000-integers.json": dump(list(range(1000))),
    "not-utf8.json": b'{"id": "\xff\xfe"}',
    "empty-with-bom.json": b"\xef\xbb\xbf   \n",
    "fhir-deep-nesting.json": '{"resourceType": "Bundle", "type": "collection", "entry": ' + "[" * 3000 + "]" * 3000 + "}",
    "fhir-5000-digit-number.json": '{"resourceType": "Patient", "id": "p", "x": ' + "1" * 5000 + "}",
    "nul-and-controls-in-id.json": dump(rec(id="a\x00b\x08c\x7f")),
    "turtle-lone-surrogate.ttl": ('@prefix h2n: <https://w3id.org/her2neg/kb/> .\n'
                                  '<https://w3id.org/her2neg/patient/x> a h2n:Patient ; h2n:patientId "\\uD800" .\n'),
    "huge-key.json": dump(rec(**{"x_" + "k" * 100_000: 1})),
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, content in FILES.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
