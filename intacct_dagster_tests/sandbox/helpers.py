"""Test helpers: an authenticated HTTP client for the sandbox and validators built from Sage's OpenAPI spec."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
SAGE_DIR = REPO_ROOT / "intacct_dagster" / "sandbox" / "sage_openapi"
SPEC = SAGE_DIR / "common-resources.json"


class Api:
    """Thin requests wrapper: one keep-alive session with a bearer token."""

    def __init__(self, sb, entity_username: str | None = None):
        self.sb = sb
        self.base = sb.base_url
        self.s = requests.Session()
        r = self.s.post(sb.token_url, data={"grant_type": "client_credentials", "client_id": sb.client_id,
                                            "client_secret": sb.client_secret,
                                            "username": entity_username or sb.username}, timeout=10)
        r.raise_for_status()
        self.token = r.json()["access_token"]
        self.s.headers["Authorization"] = f"Bearer {self.token}"

    def query(self, body: dict, entity: str | None = None, **kw) -> requests.Response:
        headers = {"X-IA-API-Param-Entity": entity} if entity else {}
        return self.s.post(f"{self.base}/services/core/query", json=body, headers=headers, timeout=30, **kw)

    def rows(self, body: dict, entity: str | None = None) -> list[dict]:
        r = self.query(body, entity)
        assert r.status_code == 200, r.text
        return r.json()["ia::result"]

    def all_rows(self, body: dict, entity: str | None = None, size: int = 4000) -> list[dict]:
        out: list[dict] = []
        start = 1
        while start:
            r = self.query({**body, "start": start, "size": size}, entity)
            assert r.status_code == 200, r.text
            out += r.json()["ia::result"]
            start = r.json()["ia::meta"]["next"]
        return out

    def get(self, path: str, **kw) -> requests.Response:
        return self.s.get(f"{self.base}{path}", timeout=30, **kw)


def admin(sb, action: str, **body) -> requests.Response:
    """POST to the sandbox's admin endpoint ``/__sandbox__/<action>`` with the admin token."""
    base = sb.base_url.replace("/ia/api/v1", "")
    return requests.post(f"{base}/__sandbox__/{action}", json=body, headers={"X-Sandbox-Admin": sb.admin_token},
                         timeout=10)


def find_spec() -> Path:
    """Sage's common-resources OpenAPI, vendored in the repository (no checkout beside it needed)."""
    assert SPEC.is_file(), f"vendored Sage OpenAPI missing: {SPEC}"
    return SPEC


def _openapi_to_jsonschema(node):
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` becomes a ``null`` type alternative."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k not in ("example", "examples")}
    if out.pop("nullable", False):
        if "type" in out:
            t = out["type"]
            out["type"] = [*t, "null"] if isinstance(t, list) else [t, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


class Spec:
    def __init__(self, raw: dict):
        self.raw = raw
        self.components = _openapi_to_jsonschema(copy.deepcopy(raw["components"]))

    def validator(self, schema: dict) -> jsonschema.Draft7Validator:
        root = {"allOf": [_openapi_to_jsonschema(copy.deepcopy(schema))], "components": self.components}
        return jsonschema.Draft7Validator(root)

    def component(self, name: str) -> jsonschema.Draft7Validator:
        return self.validator({"$ref": f"#/components/schemas/{name}"})

    def response(self, path: str, method: str, status: str = "200") -> dict:
        return self.raw["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
