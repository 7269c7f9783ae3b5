"""A CDS Hooks 2.0 service: ``her2neg serve-hooks`` (FastAPI + uvicorn, 127.0.0.1 by default).

- ``GET /cds-services``: discovery, one ``patient-view`` service (id ``her2neg-options``) whose
  prefetch templates ask for every FHIR resource type the mapper reads
  (:data:`reasoner.ingest.fhir.parse.MAPPED_TYPES`).
- ``POST /cds-services/her2neg-options``: the patient's FHIR data (prefetch, or fetched from
  ``fhirServer`` with the ``fhirAuthorization`` bearer token for every key the client did not
  satisfy) is mapped to a record and reasoned over; the response is a list of cards: a summary with
  the top options as suggestions and their sources, a link to the HTML report, "what to test"
  from the ``MISSING_DATA`` reasons and the test advice, the warnings about the record, and the
  disclaimer on every card.
- ``GET /reports/{token}``: the report of a previous call (kept in memory, bounded, for an hour).

Errors follow the specification: a malformed request is ``400``, a missing or invalid JWT (when
the service is started with a JWK Set) ``401``, an unknown service ``404``, and FHIR data that can
be neither found in the prefetch nor fetched from the FHIR server ``412 Precondition Failed``; each
with an ``OperationOutcome`` body. Unknown is never read as absent: a prefetch key the client did
not send (or answered with an OperationOutcome) is fetched or the call fails with 412; only an
explicit ``null`` means "no such resources".

Needs the ``hooks`` extra (``pip install "her2neg-reasoner[hooks]"``).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from fastapi import Request  # resolved by FastAPI from the annotations of the endpoints below

from reasoner.result import DISCLAIMER, Result
from reasoner.views import build_view, plain

__all__ = ["SERVICE_ID", "create_app", "discovery", "prefetch_templates", "cards_for", "serve"]

SERVICE_ID = "her2neg-options"
HOOK = "patient-view"
TOP_OPTIONS = 3
REPORT_TTL_S = 3600
REPORT_CACHE = 256
MAX_PAGES = 20
TEST_ADVICE_PREFIX = ("TEST_", "ASSESS_", "REBIOPSY")


class HookError(Exception):
    """An error answered with an HTTP status and an OperationOutcome."""

    def __init__(self, status: int, text: str, *, code: str = "invalid", diagnostics: str | None = None,
                 expression: str | None = None, headers: dict | None = None):
        super().__init__(text)
        self.status, self.text, self.code = status, text, code
        self.diagnostics, self.expression, self.headers = diagnostics, expression, headers or {}

    def outcome(self) -> dict:
        issue: dict[str, Any] = {"severity": "error", "code": self.code, "details": {"text": self.text}}
        if self.diagnostics:
            issue["diagnostics"] = self.diagnostics
        if self.expression:
            issue["expression"] = [self.expression]
        return {"resourceType": "OperationOutcome", "issue": [issue]}


# -- discovery -------------------------------------------------------------------------------------

def _key(rtype: str) -> str:
    plural = rtype[0].lower() + rtype[1:]
    return plural if rtype == "Patient" else plural + "s"


def prefetch_templates() -> dict[str, str]:
    """One template per resource type the FHIR mapper reads; Medications come with their users."""
    from reasoner.ingest.fhir.parse import MAPPED_TYPES

    templates = {}
    for rtype in MAPPED_TYPES:
        if rtype == "Patient":
            templates["patient"] = "Patient/{{context.patientId}}"
        elif rtype == "Medication":
            continue  # included with the MedicationRequest/Statement/Administration that cite them
        else:
            query = f"{rtype}?patient={{{{context.patientId}}}}"
            if rtype.startswith("Medication") and "Medication" in MAPPED_TYPES:
                query += f"&_include={rtype}:medication"
            templates[_key(rtype)] = query
    return templates


def discovery() -> dict:
    return {"services": [{
        "hook": HOOK,
        "title": "HER2-negative breast cancer treatment options",
        "description": (
            "Treatment options for HER2-negative breast cancer (HR+/HER2- and triple-negative) with "
            "their reasons, evidence and approvals, what to test next, and the problems found in the "
            "record, from a guideline knowledge graph. Decision support only: it supports, and does "
            "not replace, clinical judgement."),
        "id": SERVICE_ID,
        "prefetch": prefetch_templates(),
        "usageRequirements": (
            "Reads Patient, Condition, Observation and medication resources (mCODE where available). "
            "Without prefetch it needs fhirServer (and fhirAuthorization for a protected server)."),
    }]}


# -- reading the request ----------------------------------------------------------------------------

def _require(body: Mapping, key: str, kind: type, where: str = "") -> Any:
    value = body.get(key)
    if value is None or not isinstance(value, kind) or (isinstance(value, (str, dict)) and not value):
        raise HookError(400, f"the request needs {where}{key} ({kind.__name__})", code="required",
                        expression=f"{where}{key}")
    return value


def parse_request(body: Any) -> dict:
    """The validated request fields (400 for anything the specification makes mandatory)."""
    if not isinstance(body, dict):
        raise HookError(400, "the request body must be a JSON object", code="structure")
    hook = _require(body, "hook", str)
    if hook != HOOK:
        raise HookError(400, f"this service answers the {HOOK} hook, not {plain(hook)!r}", code="not-supported",
                        expression="hook")
    instance = _require(body, "hookInstance", str)
    context = _require(body, "context", dict)
    patient = _require(context, "patientId", str, "context.")
    if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", patient):
        raise HookError(400, "context.patientId is not a FHIR id", code="value", expression="context.patientId")
    if "userId" in context and not isinstance(context["userId"], str):
        raise HookError(400, "context.userId must be a string", code="value", expression="context.userId")
    server = body.get("fhirServer")
    auth = body.get("fhirAuthorization")
    if server is not None and (not isinstance(server, str) or not re.match(r"https?://", server)):
        raise HookError(400, "fhirServer must be an http(s) URL", code="value", expression="fhirServer")
    if auth is not None:
        if server is None:
            raise HookError(400, "fhirServer is required when fhirAuthorization is given", code="required",
                            expression="fhirServer")
        if not isinstance(auth, dict):
            raise HookError(400, "fhirAuthorization must be an object", code="structure",
                            expression="fhirAuthorization")
        for field in ("access_token", "token_type", "scope", "subject"):
            _require(auth, field, str, "fhirAuthorization.")
        if auth["token_type"].lower() != "bearer":
            raise HookError(400, "fhirAuthorization.token_type must be Bearer", code="value",
                            expression="fhirAuthorization.token_type")
        if not isinstance(auth.get("expires_in"), int):
            raise HookError(400, "the request needs fhirAuthorization.expires_in (int)", code="required",
                            expression="fhirAuthorization.expires_in")
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise HookError(400, "prefetch must be an object", code="structure", expression="prefetch")
    return {"hookInstance": instance, "patientId": patient, "fhirServer": server, "fhirAuthorization": auth,
            "prefetch": prefetch or {}}


def _is_outcome(value: Any) -> bool:
    if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
        return True
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return any(isinstance(e, dict) and _is_outcome(e.get("resource")) for e in value.get("entry") or [])
    return False


def _resources(value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        out = []
        for entry in value.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict):
                out.append(resource)
        return out
    if isinstance(value, dict) and value.get("resourceType"):
        return [value]
    raise HookError(400, "a prefetch value is neither a FHIR resource, a Bundle nor null", code="structure")


def _fetch(server: str, auth: Mapping | None, query: str, *, timeout: float) -> list[dict]:
    """Run one prefetch query against the FHIR server (following ``next`` pages)."""
    import httpx

    headers = {"Accept": "application/fhir+json"}
    if auth:
        headers["Authorization"] = f"Bearer {auth['access_token']}"
    url: str | None = server.rstrip("/") + "/" + query
    out: list[dict] = []
    pages = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while url and pages < MAX_PAGES:
            pages += 1
            try:
                response = client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                raise HookError(412, "the FHIR server could not be reached", code="exception",
                                diagnostics=f"{type(exc).__name__} for {query}") from exc
            if response.status_code == 404 and query.startswith("Patient/"):
                raise HookError(412, "the patient was not found on the FHIR server", code="not-found",
                                diagnostics=query)
            if response.status_code != 200:
                raise HookError(412, f"the FHIR server answered {response.status_code} to a query",
                                code="exception", diagnostics=query)
            try:
                data = response.json()
            except ValueError as exc:
                raise HookError(412, "the FHIR server answered with something that is not JSON",
                                code="exception", diagnostics=query) from exc
            if _is_outcome(data):
                raise HookError(412, "the FHIR server answered a query with an OperationOutcome",
                                code="exception", diagnostics=query)
            out.extend(_resources(data))
            url = None
            if isinstance(data, dict) and data.get("resourceType") == "Bundle":
                url = next((link.get("url") for link in data.get("link") or []
                            if isinstance(link, dict) and link.get("relation") == "next"), None)
                if url and not url.startswith(server.rstrip("/")):
                    url = None  # never follow a page link away from the FHIR server we were given
    return out


def gather_bundle(request: Mapping, *, timeout: float = 10.0,
                  allowed_servers: tuple[str, ...] | None = None) -> tuple[dict, list[str]]:
    """A collection Bundle of the patient's resources, and the prefetch keys fetched from the server.

    ``allowed_servers``: URL prefixes the service may call (``None``: any http(s) FHIR server).
    """
    templates = prefetch_templates()
    prefetch, patient_id = request["prefetch"], request["patientId"]
    resources: list[dict] = []
    fetched: list[str] = []
    for key, template in templates.items():
        satisfied = key in prefetch and not _is_outcome(prefetch[key])
        if satisfied:
            resources.extend(_resources(prefetch[key]))
            continue
        if not request.get("fhirServer"):
            raise HookError(412, "FHIR data is missing: the prefetch lacks a key and no fhirServer was given",
                            code="required", diagnostics=f"prefetch key {key!r} ({template}) is absent or an "
                                                         "OperationOutcome", expression=f"prefetch.{key}")
        server = request["fhirServer"]
        if allowed_servers is not None and not any(server.rstrip("/").startswith(a.rstrip("/"))
                                                   for a in allowed_servers):
            raise HookError(412, "FHIR data is missing and fhirServer is not one this service may call",
                            code="forbidden", diagnostics=f"prefetch key {key!r} is absent",
                            expression="fhirServer")
        query = template.replace("{{context.patientId}}", patient_id)
        resources.extend(_fetch(request["fhirServer"], request.get("fhirAuthorization"), query, timeout=timeout))
        fetched.append(key)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if not patients:
        raise HookError(412, "no Patient resource for context.patientId", code="not-found",
                        expression="prefetch.patient")
    if any(p.get("id") not in (None, patient_id) for p in patients):
        raise HookError(400, "the prefetched Patient is not the patient in context", code="value",
                        expression="prefetch.patient")
    seen, unique = set(), []
    for r in resources:
        key = (r.get("resourceType"), r.get("id"))
        if r.get("id") is not None and key in seen:
            continue
        seen.add(key)
        unique.append(r)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}" if r.get("id") else f"urn:uuid:{uuid.uuid4()}",
                         "resource": r} for r in unique]}
    return bundle, fetched


# -- cards -----------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: Any) -> str:
    """Patient or knowledge text safe inside GitHub-flavoured Markdown (no HTML, no markup)."""
    value = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def code(value: str) -> str:
    """A stable code of the result (``ET_CHEMO_COMBINATION``) as inline code; anything else escaped."""
    return f"`{value}`" if re.fullmatch(r"[A-Z0-9_]{1,64}", value or "") else md(value)


def _summary(text: str) -> str:
    """A card summary: under 140 characters, cut at a word boundary."""
    text = " ".join(plain(text).split())
    if len(text) < 140:
        return text
    return text[:136].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def cards_for(result: Result, *, kb: Any = None, report_url: str | None = None) -> list[dict]:
    view = build_view(result, kb=kb)
    source = {"label": f"her2neg-reasoner, {view.kb_version}",
              "topic": {"system": "https://w3id.org/her2neg/kb/cds-topic", "code": "treatment-options",
                        "display": "HER2-negative breast cancer treatment options"}}
    footer = f"\n\n*{md(DISCLAIMER)}*"
    links = [{"label": "One-page report (timeline, options, why not)", "url": report_url, "type": "absolute"}] \
        if report_url else []
    cards: list[dict] = []
    if result.status != "ok":
        reasons = "; ".join(v.message for v in result.validation if v.severity == "violation") or result.status
        title = "Out of scope for this service" if result.status == "out_of_scope" else \
            "The record cannot be reasoned over"
        detail = "\n".join(f"- {md(v.path)}: {md(v.message)}" for v in result.validation)
        cards.append({"uuid": str(uuid.uuid4()), "summary": _summary(f"{title}: {reasons}"),
                      "indicator": "warning", "detail": (detail or md(reasons)) + footer,
                      "source": source, **({"links": links} if links else {})})
        return cards

    options = view.options
    top = [o for o in options if o.intent == "anticancer"][:TOP_OPTIONS] or options[:TOP_OPTIONS]
    headline = view.classification_line
    if top:
        summary = f"{len(options)} options ({headline}); first: {top[0].title}"
    else:
        summary = f"{headline}: no option offered; see why not"
    lines = [f"**{md(headline)}**", ""]
    for o in top:
        sources = "; ".join(md(e.get("source") or e.get("trial") or "") for e in o.evidence) or "guideline"
        lines.append(f"{o.number}. **{md(o.title)}** ({md(o.preference)}): {md(o.evidence_line)}. "
                     f"Approvals: {md(o.approvals_line)}. Sources: {sources}.")
        for key in o.caution_keys:
            caution = next(c for c in view.cautions if c.key == key)
            lines.append(f"   - Caution: {md(caution.text)}")
    if len(options) > len(top):
        lines.append("")
        lines.append(f"{len(options) - len(top)} more option(s) and {view.excluded_count} not offered, with "
                     "the reasons, in the report.")
    card = {"uuid": str(uuid.uuid4()), "summary": _summary(summary), "indicator": "info",
            "detail": "\n".join(lines) + footer, "source": source}
    if top:
        card["selectionBehavior"] = "at-most-one"
        card["suggestions"] = [{"label": _summary(f"{o.title} ({o.drugs})"), "uuid": str(uuid.uuid4()),
                                "isRecommended": o.preference == "preferred"} for o in top]
    if links:
        card["links"] = links
    cards.append(card)

    missing = [g for g in view.groups if g.code == "MISSING_DATA"]
    tests = [a for a in view.advice if a["code"].startswith(TEST_ADVICE_PREFIX)]
    if missing or tests:
        lines = []
        for g in missing:
            lines.append(f"- {md(g.reason)}: decides {', '.join(md(e.label) for e in g.entries)}")
        for a in tests:
            lines.append(f"- {code(a['code'])}: {md(a['text'])}")
        what = [g.reason for g in missing] + [a["code"] for a in tests]
        cards.append({"uuid": str(uuid.uuid4()), "summary": _summary("What to test: " + "; ".join(what)),
                      "indicator": "info", "detail": "\n".join(lines) + footer, "source": source})
    if view.warnings:
        lines = [f"- {code(w['code'])}: {md(w['text'])}" for w in view.warnings]
        cards.append({"uuid": str(uuid.uuid4()),
                      "summary": _summary("Check the record: " + view.warnings[0]["text"]
                                          + (f" (+{len(view.warnings) - 1} more)" if len(view.warnings) > 1 else "")),
                      "indicator": "warning", "detail": "\n".join(lines) + footer, "source": source})
    return cards


# -- the application -------------------------------------------------------------------------------

class _Reports:
    """The HTML reports of recent calls, by an unguessable token; bounded and short-lived."""

    def __init__(self, size: int = REPORT_CACHE, ttl: float = REPORT_TTL_S):
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, html: str) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._items[token] = (time.monotonic(), html)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> str | None:
        with self._lock:
            item = self._items.get(token)
            if item is None or time.monotonic() - item[0] > self.ttl:
                self._items.pop(token, None)
                return None
            return item[1]


def _verify_jwt(header: str | None, *, jwks: Mapping, issuers: set[str], audience: str) -> None:
    """The CDS Client's JWT (specification: Trusting CDS Clients); 401 when absent or invalid."""
    import jwt

    challenge = {"WWW-Authenticate": 'Bearer realm="cds-services"'}
    if not header or not header.startswith("Bearer "):
        raise HookError(401, "a signed JWT is required (Authorization: Bearer)", code="login", headers=challenge)
    token = header[len("Bearer "):].strip()
    try:
        head = jwt.get_unverified_header(token)
        keys = {k.get("kid"): k for k in jwks.get("keys", [])}
        if head.get("typ") not in (None, "JWT") or head.get("kid") not in keys:
            raise jwt.InvalidTokenError("unknown key id")
        key = jwt.PyJWK(keys[head["kid"]])
        claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name] if key.algorithm_name else None,
                            audience=audience, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        if issuers and claims.get("iss") not in issuers:
            raise jwt.InvalidTokenError("issuer not trusted")
    except jwt.PyJWTError as exc:
        raise HookError(401, "the JWT is not valid for this service", code="security",
                        diagnostics=str(exc), headers=challenge) from exc


def create_app(kb: Any = None, *, public_url: str | None = None, jwks: Mapping | None = None,
               issuers: set[str] | None = None, fhir_timeout: float = 10.0,
               fhir_servers: tuple[str, ...] | None = None):
    """The FastAPI application (``kb``: a loaded knowledge base, default the process-wide one)."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, JSONResponse

    import reasoner

    app = FastAPI(title="her2neg CDS Hooks service", docs_url=None, redoc_url=None, openapi_url=None)
    reports = _Reports()
    state = {"kb": kb}

    def knowledge():
        if state["kb"] is None:
            state["kb"] = reasoner._default()
        return state["kb"]

    def error(exc: HookError) -> JSONResponse:
        return JSONResponse(exc.outcome(), status_code=exc.status, headers=exc.headers,
                            media_type="application/json")

    def base(request: Request) -> str:
        return (public_url or str(request.base_url)).rstrip("/")

    def check_auth(request: Request, path: str) -> None:
        if jwks is not None:
            _verify_jwt(request.headers.get("authorization"), jwks=jwks, issuers=issuers or set(),
                        audience=base(request) + path)

    @app.get("/cds-services")
    def _discovery(request: Request):
        try:
            check_auth(request, "/cds-services")
        except HookError as exc:
            return error(exc)
        return JSONResponse(discovery())

    @app.post("/cds-services/{service_id}")
    async def _call(service_id: str, request: Request):
        try:
            if service_id != SERVICE_ID:
                raise HookError(404, f"no CDS service {plain(service_id)!r} here", code="not-found")
            check_auth(request, f"/cds-services/{service_id}")
            try:
                body = await request.json()
            except ValueError as exc:
                raise HookError(400, "the request body is not JSON", code="structure") from exc
            parsed = parse_request(body)
            bundle, _ = gather_bundle(parsed, timeout=fhir_timeout, allowed_servers=fhir_servers)
            kb_ = knowledge()
            result = kb_.recommend_many([bundle])[0]
            from reasoner.report import render_report

            token = reports.put(render_report(result, record=bundle, kb=kb_))
            cards = cards_for(result, kb=kb_, report_url=f"{base(request)}/reports/{token}")
            return JSONResponse({"cards": cards})
        except HookError as exc:
            return error(exc)

    @app.get("/reports/{token}")
    def _report(token: str):
        html = reports.get(token) if re.fullmatch(r"[0-9a-f]{32}", token) else None
        if html is None:
            return HTMLResponse("<!DOCTYPE html><title>Not found</title><p>This report has expired or does not "
                                "exist.</p>", status_code=404)
        return HTMLResponse(html, headers={"Cache-Control": "no-store",
                                           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    @app.exception_handler(405)
    async def _method(request, exc):  # noqa: ARG001
        return error(HookError(405, "method not allowed", code="not-supported"))

    return app


def serve(host: str = "127.0.0.1", port: int = 8911, **kwargs: Any) -> None:  # pragma: no cover - CLI
    import uvicorn

    import reasoner
    from reasoner.runtime import tune_gc_for_reasoning

    if kwargs.get("kb") is None:  # loaded before the first request, then kept out of garbage collection
        kwargs["kb"] = reasoner._default()
    tune_gc_for_reasoning()
    uvicorn.run(create_app(**kwargs), host=host, port=port, log_level="info")
