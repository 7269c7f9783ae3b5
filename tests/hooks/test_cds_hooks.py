"""The CDS Hooks 2.0 service, tested with the specification's own examples.

The request and response examples below are those of the CDS Hooks specification
(https://cds-hooks.org/specification/current/, "Discovery Example", "Calling a CDS Service:
Example", "Example prefetch data", "Passing the Access Token"); the rules checked are the
specification's (required fields, summary under 140 characters, indicator values, source label,
selectionBehavior with suggestions, link types, no null or empty JSON values, 412 when FHIR data
can be neither prefetched nor fetched). A stub FHIR server on 127.0.0.1, started and stopped by a
fixture, stands in for the EHR's FHIR server; one test starts the real `her2neg serve-hooks`
(uvicorn) on 127.0.0.1 and stops it.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from reasoner.hooks import SERVICE_ID, create_app, prefetch_templates
from reasoner.ingest.fhir import record_to_bundle
from reasoner.ingest.fhir.parse import MAPPED_TYPES

ROOT = Path(__file__).resolve().parents[2]
TYPICAL = ROOT / "examples/patients/hr-second-line-pik3ca.json"
URL = f"/cds-services/{SERVICE_ID}"

# The specification's "Calling a CDS Service" example request (patient-view).
SPEC_REQUEST = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {"patientToGreet": {"resourceType": "Patient", "gender": "male", "birthDate": "1925-12-23",
                                    "id": "1288992", "active": True}},
}
# The specification's example response: the shape every card of ours must have too.
SPEC_RESPONSE_CARD_FIELDS = {"uuid", "summary", "indicator", "detail", "source", "suggestions",
                             "selectionBehavior", "overrideReasons", "links"}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def resources_of(record: dict) -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {}
    for entry in record_to_bundle(record)["entry"]:
        resource = entry["resource"]
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return by_type


def prefetch_for(record: dict) -> dict:
    """The prefetch a CDS Client would send for our templates (null where it has no data)."""
    by_type = resources_of(record)
    out = {}
    for key, template in prefetch_templates().items():
        rtype = template.split("?")[0].split("/")[0]
        if rtype == "Patient":
            out[key] = by_type["Patient"][0]
        else:
            found = by_type.get(rtype, [])
            out[key] = {"resourceType": "Bundle", "type": "searchset",
                        "entry": [{"resource": r} for r in found]} if found else None
    return out


def request_for(record: dict, **changes) -> dict:
    body = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": record["id"]},
            "prefetch": prefetch_for(record)}
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def client(kb):
    with TestClient(create_app(kb)) as c:
        yield c


def no_null_or_empty(value, where="$"):
    """CDS Hooks: JSON values SHALL NOT be null or empty ("", [], {})."""
    assert value is not None and value != "" and value != [] and value != {}, where
    if isinstance(value, dict):
        for k, v in value.items():
            no_null_or_empty(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            no_null_or_empty(v, f"{where}[{i}]")


def assert_valid_cards(payload: dict) -> list[dict]:
    assert set(payload) <= {"cards", "systemActions"} and isinstance(payload["cards"], list)
    for card in payload["cards"]:
        no_null_or_empty(card)
        assert set(card) <= SPEC_RESPONSE_CARD_FIELDS
        assert isinstance(card["summary"], str) and len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            assert all(s["label"] for s in card["suggestions"])
        for link in card.get("links", []):
            assert link["label"] and link["url"] and link["type"] in ("absolute", "smart")
        assert "does not replace" in card["detail"]
    return payload["cards"]


def assert_outcome(response, status: int):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error" and body["issue"][0]["details"]["text"]


# -- discovery -------------------------------------------------------------------------------------

def test_discovery(client):
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    no_null_or_empty(response.json())
    [service] = services
    # REQUIRED fields of the specification; the fields of its discovery example
    assert {"hook", "description", "id"} <= set(service)
    assert set(service) <= {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
    assert service["hook"] == "patient-view" and service["id"] == SERVICE_ID
    # a prefetch template for every resource type the FHIR mapper reads
    templates = service["prefetch"]
    assert templates["patient"] == "Patient/{{context.patientId}}"
    covered = {t.split("?")[0].split("/")[0] for t in templates.values()}
    for rtype in MAPPED_TYPES:
        if rtype == "Medication":
            assert any(f"_include={t}:medication" in q for t in covered for q in templates.values())
        else:
            assert rtype in covered
    for template in templates.values():
        assert "{{context.patientId}}" in template


# -- a call with prefetch --------------------------------------------------------------------------

def test_cards_for_the_typical_patient(client):
    record = load(TYPICAL)
    response = client.post(URL, json=request_for(record))
    assert response.status_code == 200, response.text
    cards = assert_valid_cards(response.json())
    summary = cards[0]
    # PIK3CA-altered HR+/HER2- disease progressing on an AI + CDK4/6 inhibitor: capivasertib or
    # alpelisib with fulvestrant (CAPItello-291, SOLAR-1; ASCO 2024) are among the first options.
    labels = " ".join(s["label"] for s in summary["suggestions"])
    assert "Capivasertib + fulvestrant" in labels and "Alpelisib + fulvestrant" in labels
    assert "CAPItello-291" in summary["detail"] and "SOLAR-1" in summary["detail"]
    assert "Sources:" in summary["detail"]
    # never a regimen the disease progressed on (palbociclib + letrozole) among the suggestions
    assert "palbociclib" not in labels
    # the report link works and is the one-page report of this patient
    [link] = summary["links"]
    report = client.get(urlparse(link["url"]).path)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert record["id"] in report.text and "does not replace" in report.text
    assert client.get("/reports/" + "0" * 32).status_code == 404


def test_missing_data_becomes_what_to_test(client):
    # Triple-negative, first line, PD-L1 not known: pembrolizumab + chemotherapy needs PD-L1 CPS >= 10
    # (KEYNOTE-355), so the PD-L1 test is what to do next.
    record = load(ROOT / "examples/patients/tnbc-first-line-pdl1.json")
    record["biomarkers"].pop("pdl1_cps", None)
    record["biomarkers"].pop("pdl1_ic_percent", None)
    response = client.post(URL, json=request_for(record))
    assert response.status_code == 200, response.text
    cards = assert_valid_cards(response.json())
    test_cards = [c for c in cards if c["summary"].startswith("What to test")]
    assert test_cards and "PD" in test_cards[0]["summary"] + test_cards[0]["detail"]
    assert "pembrolizumab" in test_cards[0]["detail"].lower()


def test_out_of_scope_patient_gets_a_warning_card(client):
    record = load(ROOT / "examples/patients/her2-positive-out-of-scope.json")
    response = client.post(URL, json=request_for(record))
    assert response.status_code == 200
    [card] = assert_valid_cards(response.json())
    assert card["indicator"] == "warning" and "out of scope" in card["summary"].lower()
    assert "suggestions" not in card


def test_null_prefetch_means_no_such_resources(client):
    record = load(TYPICAL)
    body = request_for(record)
    assert body["prefetch"]["medicationAdministrations"] is None  # the client has none
    assert client.post(URL, json=body).status_code == 200


def test_patient_text_cannot_inject_markdown_or_html(client):
    record = load(TYPICAL)
    body = request_for(record)
    body["prefetch"]["patient"]["id"] = record["id"]
    medication = body["prefetch"]["medicationRequests"]["entry"][0]["resource"]
    medication.setdefault("note", []).append({"text": "<script>x</script> [click](http://evil)"})
    response = client.post(URL, json=body)
    assert response.status_code == 200
    text = json.dumps(response.json())
    assert "<script>" not in text and "](http://evil)" not in text


# -- errors, as the specification says --------------------------------------------------------------

@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("hook"),
    lambda b: b.update(hook="order-select"),
    lambda b: b.pop("hookInstance"),
    lambda b: b.pop("context"),
    lambda b: b["context"].pop("patientId"),
    lambda b: b["context"].update(patientId="../../etc/passwd"),
    lambda b: b.update(fhirAuthorization=copy.deepcopy(SPEC_REQUEST["fhirAuthorization"])),  # no fhirServer
    lambda b: b.update(fhirServer="ftp://x", fhirAuthorization=copy.deepcopy(SPEC_REQUEST["fhirAuthorization"])),
    lambda b: b.update(fhirServer="http://127.0.0.1:9", fhirAuthorization={"access_token": "t", "token_type": "MAC",
                                                                           "expires_in": 1, "scope": "s",
                                                                           "subject": "c"}),
    lambda b: b.update(prefetch=["not", "an", "object"]),
], ids=["no-hook", "other-hook", "no-hookInstance", "no-context", "no-patientId", "bad-patientId",
        "auth-without-server", "bad-server", "not-bearer", "prefetch-not-object"])
def test_bad_requests_get_400(client, mutate):
    body = request_for(load(TYPICAL))
    mutate(body)
    assert_outcome(client.post(URL, json=body), 400)


def test_body_that_is_not_json_gets_400(client):
    assert_outcome(client.post(URL, content=b"{not json", headers={"content-type": "application/json"}), 400)


def test_unknown_service_gets_404_and_get_on_a_service_405(client):
    assert_outcome(client.post("/cds-services/nope", json=request_for(load(TYPICAL))), 404)
    assert client.get(URL).status_code == 405


def test_spec_example_without_prefetch_or_fhir_server_gets_412(client):
    body = copy.deepcopy(SPEC_REQUEST)
    del body["fhirServer"], body["fhirAuthorization"]
    assert_outcome(client.post(URL, json=body), 412)


def test_prefetch_answered_with_operation_outcome_and_no_server_gets_412(client):
    body = request_for(load(TYPICAL))
    body["prefetch"]["observations"] = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "processing", "details": {"text": "timeout"}}]}
    response = client.post(URL, json=body)
    assert_outcome(response, 412)
    assert response.json()["issue"][0]["expression"] == ["prefetch.observations"]


def test_fhir_server_not_allowed_gets_412(kb):
    with TestClient(create_app(kb, fhir_servers=("http://127.0.0.1:1/fhir",))) as c:
        assert_outcome(c.post(URL, json=copy.deepcopy(SPEC_REQUEST)), 412)


# -- FHIR data from the fhirServer (stub FHIR server on 127.0.0.1) -----------------------------------

class StubFhir:
    """A tiny FHIR server: read Patient, search by patient, a bearer token, pages of 3 entries."""

    def __init__(self, record: dict, token: str):
        self.by_type = resources_of(record)
        self.patient_id = record["id"]
        self.token = token
        self.seen: list[tuple[str, str | None]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                stub.seen.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    return self.send(401, {"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "login"}]})
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")[1:]  # after /fhir
                query = parse_qs(url.query)
                if len(parts) == 2 and parts[0] == "Patient":
                    patient = stub.by_type["Patient"][0]
                    return self.send(200, patient) if parts[1] == stub.patient_id else self.send(404, {})
                rtype = parts[0]
                if query.get("patient") != [stub.patient_id]:
                    return self.send(400, {})
                found = stub.by_type.get(rtype, [])
                page = int(query.get("_page", ["0"])[0])
                chunk = found[page * 3:(page + 1) * 3]
                bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                          "entry": [{"resource": r} for r in chunk]}
                if (page + 1) * 3 < len(found):
                    bundle["link"] = [{"relation": "next",
                                       "url": f"{stub.base}/{rtype}?patient={stub.patient_id}&_page={page + 1}"}]
                return self.send(200, bundle)

            def send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fhir_server():
    with StubFhir(load(TYPICAL), token="stub-token-123") as stub:
        yield stub


def test_fhir_server_and_authorization_when_prefetch_is_missing(client, fhir_server):
    record = load(TYPICAL)
    with_prefetch = client.post(URL, json=request_for(record)).json()
    body = copy.deepcopy(SPEC_REQUEST)  # the specification's example, pointed at the stub server
    body["fhirServer"] = fhir_server.base
    body["fhirAuthorization"]["access_token"] = "stub-token-123"
    body["context"]["patientId"] = record["id"]
    body["prefetch"] = {"patient": prefetch_for(record)["patient"]}  # only the patient was prefetched
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    cards = assert_valid_cards(response.json())
    # the same answer as with the full prefetch
    assert [s["label"] for s in cards[0]["suggestions"]] == \
        [s["label"] for s in with_prefetch["cards"][0]["suggestions"]]
    # every missing key was fetched with the bearer token; the Observations came in pages
    paths = [p for p, _ in fhir_server.seen]
    assert all(auth == "Bearer stub-token-123" for _, auth in fhir_server.seen)
    assert not any(p.startswith("/fhir/Patient/") for p in paths)  # the prefetched Patient was used
    assert any("Observation?patient=" in p and "_page=1" in p for p in paths)
    for key in ("conditions", "observations", "medicationRequests"):
        rtype = prefetch_templates()[key].split("?")[0]
        assert any(p.startswith(f"/fhir/{rtype}?") for p in paths)


def test_fhir_server_refusing_the_token_gets_412(client, fhir_server):
    body = copy.deepcopy(SPEC_REQUEST)
    body["fhirServer"] = fhir_server.base
    body["context"]["patientId"] = load(TYPICAL)["id"]
    body["prefetch"] = {}
    assert_outcome(client.post(URL, json=body), 412)


def test_unreachable_fhir_server_gets_412(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    body = copy.deepcopy(SPEC_REQUEST)
    body["fhirServer"] = f"http://127.0.0.1:{port}/fhir"
    assert_outcome(client.post(URL, json=body), 412)


# -- JWT from the CDS client (401) ------------------------------------------------------------------

def test_jwt_required_when_configured(kb):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid="ehr-key-1", alg="ES384", use="sig")
    app = create_app(kb, public_url="https://cds.example.org", jwks={"keys": [public]},
                     issuers={"https://ehr.example.org"})

    def token(aud, *, exp_in=300, iss="https://ehr.example.org"):
        now = int(time.time())
        return jwt.encode({"iss": iss, "aud": aud, "exp": now + exp_in, "iat": now, "jti": str(uuid.uuid4())},
                          key, algorithm="ES384", headers={"kid": "ehr-key-1", "typ": "JWT"})

    body = request_for(load(TYPICAL))
    service = f"https://cds.example.org{URL}"
    with TestClient(app) as c:
        missing = c.post(URL, json=body)
        assert_outcome(missing, 401)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert_outcome(c.get("/cds-services"), 401)
        ok = {"Authorization": f"Bearer {token('https://cds.example.org/cds-services')}"}
        assert c.get("/cds-services", headers=ok).status_code == 200
        assert c.post(URL, json=body, headers={"Authorization": f"Bearer {token(service)}"}).status_code == 200
        for bad in (token("https://cds.example.org/cds-services"),  # audience of another endpoint
                    token(service, exp_in=-60),                      # expired
                    token(service, iss="https://intruder.example"),  # untrusted issuer
                    "not-a-jwt"):
            assert_outcome(c.post(URL, json=body, headers={"Authorization": f"Bearer {bad}"}), 401)


# -- the real server ---------------------------------------------------------------------------------

def test_serve_hooks_command_runs_uvicorn_on_localhost(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "reasoner", "serve-hooks", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                response = httpx.get(f"{base}/cds-services", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "serve-hooks did not start"
                time.sleep(0.5)
        assert response.status_code == 200 and response.json()["services"][0]["id"] == SERVICE_ID
        call = httpx.post(f"{base}{URL}", json=request_for(load(TYPICAL)), timeout=60)
        assert call.status_code == 200
        link = call.json()["cards"][0]["links"][0]["url"]
        assert link.startswith(base + "/reports/")
        assert httpx.get(link, timeout=10).status_code == 200
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_record_problems_become_a_warning_card(client):
    # Endocrine therapy given together with chemotherapy is a problem in the record itself
    # (ESO-ESMO ABC: not recommended outside trials); the EHR shows it as a warning card.
    record = load(ROOT / "examples/patients/pitfall-et-chemo.json")
    response = client.post(URL, json=request_for(record))
    assert response.status_code == 200, response.text
    cards = assert_valid_cards(response.json())
    warning = [c for c in cards if c["indicator"] == "warning"]
    assert warning and warning[0]["summary"].startswith("Check the record:")
    assert "`ET_CHEMO_COMBINATION`" in warning[0]["detail"]


def test_an_mcode_bundle_as_prefetch_gives_the_same_answer_as_the_bundle(client, kb):
    # The MITRE mCODE trial-matching example bundle, split the way an EHR answers our prefetch
    # templates (one searchset per resource type): the cards carry the same options as the result
    # of the bundle itself.
    bundle = load(ROOT / "tests/fhir/data/TrialMatching_Patient01.json")
    by_type: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    [patient] = by_type["Patient"]
    prefetch = {}
    for key, template in prefetch_templates().items():
        rtype = template.split("?")[0].split("/")[0]
        found = by_type.get(rtype, [])
        prefetch[key] = patient if rtype == "Patient" else (
            {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in found]}
            if found else None)
    body = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": patient["id"]}, "prefetch": prefetch}
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    cards = assert_valid_cards(response.json())
    expected = kb.recommend(bundle)
    suggested = [s["label"] for s in cards[0].get("suggestions", [])]
    assert len(suggested) == min(3, len(expected.options))
    for label in suggested:
        assert any(label.startswith(option.label) for option in expected.options), label
