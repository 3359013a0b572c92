"""Sage's published object schemas (vendored in ``sage_openapi/objects``), resolved and flattened.

Each ``objects/<app>.<object>.json`` is one ``components.schemas`` entry of Sage's OpenAPI; the shared schemas it
``$ref``s (``audit.s1``, ``entity-ref``, ``dimension-ref``, ``state`` ...) are in ``objects/_refs/<module>.<name>.json``.
This module resolves those ``$ref``s, merges ``allOf`` (later parts refine earlier ones, as Sage uses them) and
exposes every property by its flat dotted name (``currency.exchangeRate.rate``), which is the name the query
service uses. It never invents an attribute: the sandbox's models and storage are derived from what it returns.

Attribute inheritance: a property inside a ``readOnly`` (``writeOnly``) object is read-only (write-only).

``OBSERVED`` lists the few places where recorded real traffic contradicts the published schema (the real API
serves ``null`` where the schema does not say ``nullable``); they are applied on top of the schema and each one
names its evidence. Nothing else is overridden.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "sage_openapi"
OBJECTS_DIR = ROOT / "objects"
REFS_DIR = OBJECTS_DIR / "_refs"
COMMON_RESOURCES = ROOT / "common-resources.json"
_PREFIX = "#/components/schemas/"

# (schema file stem or "*", flat field name) -> attributes the real API shows instead of the schema's.
OBSERVED: dict[tuple[str, str], dict] = {
    # Recorded real models (keboola/component-sage-intacct-extractor tests/functional/05_full_load_gl_accounts and
    # 07_full_load_invoices cassettes) declare both audit timestamps nullable: migrated records carry no time.
    ("*", "audit.createdDateTime"): {"nullable": True},
    ("*", "audit.modifiedDateTime"): {"nullable": True},
    # Same recording (05, general-ledger/account): rows serve "mrcCode": null and "taxCode": null.
    ("general-ledger.account", "mrcCode"): {"nullable": True},
    ("general-ledger.account", "taxCode"): {"nullable": True},
}
# Members of a reference (any object property with a key or id): nullable, per Sage's own examples of unset refs
# ({"key": null, "id": null, "name": null}) and the recorded real models, which mark them all nullable.
REF_MEMBERS = ("key", "id", "name", "href")


class SchemaError(Exception):
    """A declared field, reference or schema file does not exist in Sage's published schemas."""


def schema_stem(path: str) -> str:
    """``general-ledger/journal-entry`` -> ``general-ledger.journal-entry`` (the file name without ``.json``)."""
    return path.replace("/", ".")


def has_schema(path: str) -> bool:
    return (OBJECTS_DIR / f"{schema_stem(path)}.json").is_file()


@cache
def _extract_modules() -> dict[str, str]:
    """file stem -> source module (``spec/company-configuration.json`` -> ``company-configuration``)."""
    out: dict[str, str] = {}
    f = OBJECTS_DIR / "extracts.json"
    if f.is_file():
        for e in json.loads(f.read_text()):
            stem = e.get("file", "").removesuffix(".json").rsplit("/", 1)[-1]
            src = e.get("source_path", "")
            if stem and src:
                out[stem] = Path(src).stem
    return out


@cache
def _load(file: Path) -> dict:
    return json.loads(file.read_text())


def _ref_file(name: str, stem: str) -> Path | None:
    if name.startswith("objects."):
        f = OBJECTS_DIR / f"{name[len('objects.'):]}.json"
        return f if f.is_file() else None
    app = stem.split(".", 1)[0]
    for module in (_extract_modules().get(stem), app):
        if module and (REFS_DIR / f"{module}.{name}.json").is_file():
            return REFS_DIR / f"{module}.{name}.json"
    hits = sorted(REFS_DIR.glob(f"*.{name}.json"))
    return hits[0] if hits else None


def _deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if k == "properties" and isinstance(out.get(k), dict):
            props = dict(out[k])
            for pk, pv in v.items():
                props[pk] = _deep_merge(props[pk], pv) if isinstance(props.get(pk), dict) else pv
            out[k] = props
        else:
            out[k] = v
    return out


def resolve(node, stem: str, depth: int = 0):
    """``node`` with ``$ref`` resolved (siblings refine the target) and ``allOf`` merged, recursively.

    Array items that are whole objects (``objects.<app>.<object>``) are not expanded: the item keeps
    ``x-object`` (the owned object's path) so that lists can name their ``apiObject``. Unresolvable refs keep
    ``x-unresolved`` (the schema is not vendored yet)."""
    if isinstance(node, list):
        return [resolve(x, stem, depth) for x in node]
    if not isinstance(node, dict):
        return node
    if depth > 40:
        raise SchemaError(f"$ref nesting too deep in {stem}")
    if "$ref" in node:
        name = node["$ref"].removeprefix(_PREFIX)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if name.startswith("objects."):
            return {**siblings, "x-object": name[len("objects."):].replace(".", "/", 1)}
        f = _ref_file(name, stem)
        if f is None:
            return {**siblings, "x-unresolved": name}
        target = resolve(copy.deepcopy(_load(f)), stem, depth + 1)
        return _deep_merge(target, resolve(siblings, stem, depth + 1)) if siblings else target
    if "allOf" in node:
        merged: dict = {}
        for part in node["allOf"]:
            merged = _deep_merge(merged, resolve(part, stem, depth + 1))
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return _deep_merge(merged, resolve(rest, stem, depth + 1))
    return {k: (resolve(v, stem, depth + 1) if k in ("properties", "items") or isinstance(v, dict) and k not in (
        "example", "examples") else v) for k, v in node.items()}


@dataclass(frozen=True)
class Prop:
    """One property of an object schema, by flat dotted name, with inherited readOnly/writeOnly."""

    name: str
    schema: dict  # resolved (no $ref/allOf), attributes overridden by OBSERVED where listed
    read_only: bool
    write_only: bool

    @property
    def type(self) -> str | None:
        return self.schema.get("type")

    @property
    def is_object(self) -> bool:
        return self.type == "object" or "properties" in self.schema

    @property
    def is_array(self) -> bool:
        return self.type == "array"

    @property
    def nullable(self) -> bool:
        return bool(self.schema.get("nullable", False))

    @property
    def item_object(self) -> str | None:
        """For arrays of owned objects: the owned object's path (``general-ledger/journal-entry-line``)."""
        return (self.schema.get("items") or {}).get("x-object")


class ObjectSchema:
    """Sage's schema of one object, queryable by flat dotted property name."""

    def __init__(self, path: str):
        self.path = path
        self.stem = schema_stem(path)
        file = OBJECTS_DIR / f"{self.stem}.json"
        if not file.is_file():
            raise SchemaError(f"no vendored Sage schema for {path} ({file.name})")
        self.raw = _load(file)
        self.root = resolve(copy.deepcopy(self.raw), self.stem)
        self.props: dict[str, Prop] = {}
        self._walk(self.root, "", False, False)

    def _walk(self, node: dict, prefix: str, ro: bool, wo: bool) -> None:
        for name, sub in (node.get("properties") or {}).items():
            full = prefix + name
            sub = dict(sub)
            kids = sub.get("properties")
            if isinstance(kids, dict) and ("key" in kids or "id" in kids):
                # a reference: Sage's examples show unset refs as {"key": null, "id": null, "name": null}, and the
                # recorded real models (KBC 05, 07) mark every ref's key/id/name/href nullable
                sub["properties"] = {k: ({**v, "nullable": True} if k in REF_MEMBERS else v) for k, v in kids.items()}
            for key in (("*", full), (self.stem, full)):
                if key in OBSERVED:
                    sub.update(OBSERVED[key])
            p_ro = ro or bool(sub.get("readOnly"))
            p_wo = wo or bool(sub.get("writeOnly"))
            self.props[full] = Prop(full, sub, p_ro, p_wo)
            if "properties" in sub and sub.get("type", "object") == "object":
                self._walk(sub, full + ".", p_ro, p_wo)

    def get(self, name: str) -> Prop:
        p = self.props.get(name)
        if p is None:
            raise SchemaError(f"{name!r} is not a property of Sage's {self.path} schema")
        return p

    def children(self, name: str) -> list[str]:
        """Direct sub-property names of object property ``name``."""
        node = self.get(name)
        return list((node.schema.get("properties") or {}).keys())

    def __contains__(self, name: str) -> bool:
        return name in self.props


@cache
def object_schema(path: str) -> ObjectSchema:
    return ObjectSchema(path)


@cache
def ref_schema(name: str) -> dict:
    """A shared schema from ``_refs`` (e.g. ``audit.s1``), resolved; raises when not vendored."""
    f = _ref_file(name, "")
    if f is None:
        raise SchemaError(f"shared schema {name!r} is not vendored in {REFS_DIR}")
    return resolve(copy.deepcopy(_load(f)), "")
