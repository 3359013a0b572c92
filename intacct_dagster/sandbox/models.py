"""The model service (``GET /services/core/model``), derived from ``object_defs``.

Shape follows Sage's ``object-model`` example: ``fields`` (top-level scalars), ``groups`` (``audit``,
``currency``, ``contacts`` ... each with its own ``fields``/``groups``/``refs``), ``refs`` (related objects with
``apiObject`` and their ``fields`` key/id/name), ``lists`` (owned objects, e.g. journal-entry ``lines``).

Dotted names: nesting is recursive, so a client derives every queryable flat name by walking the tree and
joining with ``.`` -- ``fields.x`` -> ``x``; ``groups.g.fields.x`` -> ``g.x``; ``refs.r.fields.x`` -> ``r.x``;
``groups.g.refs.r.fields.x`` -> ``g.r.x``. The transaction-line dimensions therefore appear as
``groups.dimensions.refs.department`` -> ``dimensions.department.id`` etc. ``lists`` are not queryable from the
owner (query the owned object instead).
"""

from __future__ import annotations

from .object_defs import OBJECTS, OBJECTS_BY_PATH, Field

_TYPES = {
    "key": {"type": "string"},
    "string": {"type": "string"},
    "enum": {"type": "string"},
    "money": {"type": "string", "format": "decimal-precision-2"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
}


def _field_model(f: Field) -> dict:
    m = dict(_TYPES[f.kind])
    if f.enum:
        m["enum"] = list(f.enum)
    m.update(readOnly=f.read_only, writeOnly=False, required=False, nullable=f.nullable, mutable=f.mutable)
    return m


def _ref_fields(subs) -> dict:
    out = {}
    for s in subs:
        out[s] = {"type": "string", "readOnly": s == "name", "writeOnly": False, "required": False,
                  "nullable": True, "mutable": s != "name"}
    return out


def _node() -> dict:
    return {"fields": {}, "groups": {}, "refs": {}}


def _place(root: dict, dotted: str, leaf_kind: str, value: dict) -> None:
    parts = dotted.split(".")
    node = root
    for p in parts[:-1]:
        node = node["groups"].setdefault(p, _node())
    node[leaf_kind][parts[-1]] = value


def _prune(node: dict) -> dict:
    for g in node.get("groups", {}).values():
        _prune(g)
    for k in ("groups", "refs", "fields"):
        if k in node and not node[k] and node is not None:
            node.pop(k)
    return node


def object_model(path: str) -> dict:
    odef = OBJECTS_BY_PATH[path]
    root = _node()
    for f in odef.all_fields:
        _place(root, f.name, "fields", _field_model(f))
    for r in odef.all_refs:
        _place(root, r.name, "refs", {"apiObject": r.target, "fields": _ref_fields(r.fields)})
    for g in root["groups"].values():
        _prune(g)
    root["lists"] = {name: {"apiObject": child} for name, child in odef.lists.items()}
    root.update(
        httpMethods=odef.http_methods,
        idempotenceSupported=True,
        apiObject=f"objects/{path}",
        type="ownedObject" if odef.owner_ref else "rootObject",
        href=f"/services/core/model?version=v1&name=objects/{path}",
    )
    return root


def resource_list() -> list[dict]:
    return [{"apiObject": f"objects/{o.path}", "type": "ownedObject" if o.owner_ref else "rootObject",
             "httpMethods": o.http_methods, "href": f"/services/core/model?version=v1&name=objects/{o.path}"}
            for o in OBJECTS if not o.hidden]


def flat_names(model: dict, prefix: str = "") -> list[str]:
    """Every queryable dotted name in a model (the derivation rule documented above)."""
    out = [prefix + n for n in model.get("fields", {})]
    for g, sub in model.get("groups", {}).items():
        out += flat_names(sub, f"{prefix}{g}.")
    for r, sub in model.get("refs", {}).items():
        out += [f"{prefix}{r}.{n}" for n in sub.get("fields", {})]
    return out
