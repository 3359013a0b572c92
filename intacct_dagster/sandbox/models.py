"""The model service (``GET /services/core/model``), derived from ``object_defs`` (hence from Sage's schemas).

Shape follows the real models recorded from the live API (keboola/component-sage-intacct-extractor cassettes):
``fields`` {name: {type, format?, enum?, default?, readOnly, writeOnly, required: false, nullable, mutable,
deprecated?}}, ``groups`` (``audit`` with refs ``createdByUser``/``modifiedByUser``, ``currency`` with a nested
``exchangeRate`` group ...), ``refs`` {name: {apiObject, fields{href, id, key, name?...}}}, ``lists`` (owned
objects, ``{"lines": {"apiObject": "accounts-receivable/invoice-line"}}``, or ``[]`` when there are none). Keys
are sorted, as in the recorded models.

Dotted names: ``fields.x`` -> ``x``; ``groups.g.fields.x`` -> ``g.x``; ``refs.r.fields.x`` -> ``r.x``;
``groups.g.refs.r.fields.x`` -> ``g.r.x``; ``refs.r.groups.g.fields.x`` -> ``r.g.x``. Fields with
``writeOnly: true`` or ``type: array`` and the ``lists`` are not queryable (the query service answers REST-1106).
"""

from __future__ import annotations

import copy
import threading

from .object_defs import OBJECTS, OBJECTS_BY_PATH, Field, ObjectDef

_cache: dict[tuple[int, int], tuple[ObjectDef, dict]] = {}
_lock = threading.Lock()


def _node() -> dict:
    return {"fields": {}, "groups": {}, "refs": {}}


def _place(root: dict, dotted: str, leaf_kind: str, value: dict) -> None:
    parts = dotted.split(".")
    node = root
    for p in parts[:-1]:
        node = node["groups"].setdefault(p, _node())
    node[leaf_kind][parts[-1]] = value


def _tidy(node: dict, top: bool = False) -> dict:
    out = {}
    for k in ("fields", "groups", "refs"):
        v = node.get(k) or {}
        if k == "groups":
            v = {g: _tidy(sub) for g, sub in v.items()}
        if v or top:
            out[k] = dict(sorted(v.items()))
    return out


def _ref_model(subs: tuple[Field, ...]) -> dict:
    node = _node()
    for s in subs:
        _place(node, s.name, "fields", dict(s.model))
    return _tidy(node)


def object_model(obj: str | ObjectDef) -> dict:
    """The model of an object (a path: the shared definition; an ObjectDef: e.g. a sandbox's own copy, which may
    carry custom fields added at runtime)."""
    odef = OBJECTS_BY_PATH[obj] if isinstance(obj, str) else obj
    path = odef.path
    ck = (id(odef), len(odef.fields))
    with _lock:
        hit = _cache.get(ck)
    if hit is not None and hit[0] is odef:
        return copy.deepcopy(hit[1])
    root = _node()
    for f in odef.all_fields:
        _place(root, f.name, "fields", dict(f.model))
    for r in odef.all_refs:
        parts = r.name.split(".")
        node = root
        for p in parts[:-1]:
            node = node["groups"].setdefault(p, _node())
        node["refs"][parts[-1]] = {"apiObject": r.target, **_ref_model(r.subs)}
    out = _tidy(root, top=True)
    out["lists"] = {x.name: {"apiObject": x.target} for x in sorted(odef.lists, key=lambda x: x.name)} or []
    out.update(
        httpMethods=odef.http_methods,
        idempotenceSupported=True,
        apiObject=f"objects/{path}",
        type="ownedObject" if odef.owner_ref else "rootObject",
        href=f"/services/core/model?version=v1&name=objects/{path}",
    )
    with _lock:
        _cache[ck] = (odef, out)
    return copy.deepcopy(out)


def resource_list() -> list[dict]:
    return [{"apiObject": f"objects/{o.path}", "type": "ownedObject" if o.owner_ref else "rootObject",
             "httpMethods": o.http_methods, "href": f"/services/core/model?version=v1&name=objects/{o.path}"}
            for o in OBJECTS if not o.hidden]


def _queryable(attrs: dict) -> bool:
    return not attrs.get("writeOnly") and attrs.get("type") != "array"


def flat_names(model: dict, prefix: str = "", queryable_only: bool = True) -> list[str]:
    """Every dotted name in a model (the derivation rule documented above); by default only queryable ones."""
    out = [prefix + n for n, a in model.get("fields", {}).items() if not queryable_only or _queryable(a)]
    for g, sub in model.get("groups", {}).items():
        out += flat_names(sub, f"{prefix}{g}.", queryable_only)
    for r, sub in model.get("refs", {}).items():
        out += flat_names(sub, f"{prefix}{r}.", queryable_only)
    return out


def non_queryable(obj: str | ObjectDef) -> set[str]:
    """Names the model lists that the query service refuses (write-only and array fields, owned lists)."""
    odef = OBJECTS_BY_PATH[obj] if isinstance(obj, str) else obj
    out = {f.name for f in odef.all_fields if not f.queryable}
    out |= {x.name for x in odef.lists}
    return out
