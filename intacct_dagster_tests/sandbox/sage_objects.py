"""Validators for the sandbox's records built straight from Sage's vendored object schemas.

Independent of the sandbox's own schema code: ``$ref``s and ``allOf`` are left to jsonschema (so ``allOf`` means
*every* part must hold), the ``_refs`` files are wired in as ``components.schemas``, and OpenAPI ``nullable`` is
turned into a ``null`` type alternative exactly as ``helpers._openapi_to_jsonschema`` does.

Relaxations, each one backed by recorded real traffic (keboola/component-sage-intacct-extractor cassettes
05_full_load_gl_accounts and 07_full_load_invoices) or Sage's own examples -- and nothing else:

* ``audit`` ``createdDateTime``/``modifiedDateTime`` are nullable (recorded models; migrated records);
* members ``key``/``id``/``name``/``href`` of a reference (an object property holding a key or id, below an
  object's root) are nullable: Sage's examples show unset refs as ``{"key": null, "id": null, "name": null}`` and
  the recorded models mark them nullable;
* ``general-ledger/account`` ``mrcCode`` and ``taxCode`` are nullable (recorded rows serve null).

Sage writes some ``pattern``s as JavaScript regex literals (``"/^[A-Z]{3}$/"``); the slashes are dropped.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path

import jsonschema

from .helpers import SAGE_DIR, _openapi_to_jsonschema

OBJECTS_DIR = SAGE_DIR / "objects"
REFS_DIR = OBJECTS_DIR / "_refs"
REF_MEMBERS = ("key", "id", "name", "href")
ACCOUNT_NULLABLE = ("mrcCode", "taxCode")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DECIMAL2 = re.compile(r"^-?\d+\.\d{2}$")
_DECIMAL10 = re.compile(r"^-?\d+(\.\d{1,10})?$")

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(v) -> bool:
    if not isinstance(v, str):
        return True
    if not _DATE.match(v):
        return False
    dt.date.fromisoformat(v)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(v) -> bool:
    if not isinstance(v, str):
        return True
    if not _DATETIME.match(v):
        return False
    dt.datetime.fromisoformat(v[:-1])
    return True


@FORMATS.checks("decimal-precision-2")
@FORMATS.checks("percent-precision-2")
def _is_decimal2(v) -> bool:
    return not isinstance(v, str) or bool(_DECIMAL2.match(v))


@FORMATS.checks("decimal-precision-10")
def _is_decimal10(v) -> bool:
    return not isinstance(v, str) or bool(_DECIMAL10.match(v))


def schema_file(path: str) -> Path:
    return OBJECTS_DIR / f"{path.replace('/', '.')}.json"


def _module(stem: str) -> list[str]:
    extracts = json.loads((OBJECTS_DIR / "extracts.json").read_text())
    out = [Path(e["source_path"]).stem for e in extracts if e["file"] == f"{stem}.json"]
    return out + [stem.split(".", 1)[0]]


def _relax(node, is_root: bool = False):
    """Apply the documented relaxations to one (raw) schema tree."""
    if isinstance(node, list):
        return [_relax(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: (_relax(v) if k not in ("properties",) else v) for k, v in node.items()}
    pat = out.get("pattern")
    if isinstance(pat, str) and len(pat) > 2 and pat[0] == "/" and pat[-1] == "/":
        out["pattern"] = pat[1:-1]
    props = node.get("properties")
    if isinstance(props, dict):
        props = {k: _relax(v) for k, v in props.items()}
        if not is_root and ("key" in props or "id" in props):
            props = {k: ({**v, "nullable": True} if k in REF_MEMBERS and "$ref" not in v else v)
                     for k, v in props.items()}
        for k in ("createdDateTime", "modifiedDateTime"):
            if k in props and props[k].get("format") == "date-time":
                props[k] = {**props[k], "nullable": True}
        out["properties"] = props
    return out


@cache
def components(path: str) -> dict:
    """``components.schemas`` for one object: every vendored object schema and shared schema (the object's own
    module first when two modules define a name), relaxed and converted to JSON Schema."""
    stem = path.replace("/", ".")
    schemas: dict[str, dict] = {}
    for f in sorted(OBJECTS_DIR.glob("*.json")):
        if f.stem in ("extracts",):
            continue
        raw = json.loads(f.read_text())
        if f.stem == "general-ledger.account":
            raw = copy.deepcopy(raw)
            for k in ACCOUNT_NULLABLE:
                raw["properties"][k]["nullable"] = True
        schemas[f"objects.{f.stem}"] = _relax(raw, is_root=True)
    prefs = _module(stem)
    shared = sorted(REFS_DIR.glob("*.json"), key=lambda f: (f.stem.split(".", 1)[0] in prefs, f.stem))
    for f in shared:  # preferred modules last, so they win
        name = f.stem.split(".", 1)[1]
        schemas[name] = _relax(json.loads(f.read_text()))
    return _openapi_to_jsonschema(schemas)


def validator(path: str) -> jsonschema.Draft7Validator:
    root = {"$ref": f"#/components/schemas/objects.{path.replace('/', '.')}",
            "components": {"schemas": components(path)}}
    return jsonschema.Draft7Validator(root, format_checker=FORMATS)


def _resolve(node: dict, schemas: dict, depth: int = 0) -> dict:
    if depth > 30:
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        target = schemas.get(name, {})
        return _resolve({**target, **{k: v for k, v in node.items() if k != "$ref"}}, schemas, depth + 1)
    if "allOf" in node:
        merged: dict = {"properties": {}}
        for part in node["allOf"]:
            p = _resolve(part, schemas, depth + 1)
            for k, v in p.get("properties", {}).items():
                merged["properties"].setdefault(k, []).append(v)
            merged.update({k: v for k, v in p.items() if k != "properties"})
        for k, v in node.get("properties", {}).items():
            merged["properties"].setdefault(k, []).append(v)
        merged["properties"] = {k: (vs[0] if len(vs) == 1 else {"allOf": vs}) for k, vs in merged["properties"].items()}
        return merged
    return node


def property_names(path: str) -> set[str]:
    """Every flat dotted name Sage's schema of ``path`` defines (objects and leaves; arrays are leaves)."""
    schemas = components(path)
    out: set[str] = set()

    def walk(node: dict, prefix: str, depth: int) -> None:
        node = _resolve(node, schemas)
        for name, sub in (node.get("properties") or {}).items():
            full = prefix + name
            out.add(full)
            if depth < 8:
                walk(sub, full + ".", depth + 1)

    walk(schemas[f"objects.{path.replace('/', '.')}"], "", 0)
    return out


def nest(row: dict) -> dict:
    """A flat query row (dotted keys) as the nested record the schema describes."""
    out: dict = {}
    for k, v in row.items():
        parts = k.split(".")
        d = out
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v
    return out


def flat_keys(rec: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in rec.items():
        if isinstance(v, dict):
            out += flat_keys(v, f"{prefix}{k}.")
        else:
            out.append(prefix + k)
    return out
