"""Make the advertised JSON schemas small: every client pays for `tools/list` in every session.

Input schemas keep their meaning (types, enums, limits, defaults that say something) but lose
titles and verbose null unions. Output schemas keep the top-level shape: each field and its
JSON type; nested rows are described by the tool's description instead.
"""

from __future__ import annotations

from typing import Any

AUDIT_FIELDS = frozenset({"created_at", "created_by", "updated_at", "updated_by"})
_JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")


def _nullable(branches: list[Any]) -> dict[str, Any] | None:
    """`anyOf: [{type: T, ...}, {type: null}]` as `{type: [T, null], ...}` when that says the same."""
    non_null = [b for b in branches if b != {"type": "null"}]
    if len(branches) != 2 or len(non_null) != 1:
        return None
    only = non_null[0]
    if not isinstance(only, dict) or not isinstance(only.get("type"), str):
        return None
    return {**only, "type": [only["type"], "null"]}


def compact_input(schema: Any, *, null_clears: bool = True) -> Any:
    """`null_clears=False` (tools where null means the same as leaving a field out) drops the
    null alternative of optional top-level arguments as well. No type is given as an array
    (`["string", "null"]`): some clients accept one type per schema, so a null that clears a
    field is an `anyOf` branch of its own."""
    schema = _compact(schema)
    if not null_clears and isinstance(schema, dict):
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            kind = prop.get("type")
            if name not in required and isinstance(kind, list) and "null" in kind and "default" not in prop:
                rest = [k for k in kind if k != "null"]
                prop["type"] = rest[0] if len(rest) == 1 else rest
    return _single_types(schema)


_TYPE_SPECIFIC = frozenset({"enum", "items", "properties", "required", "minimum", "maximum", "format"})


def _single_types(schema: Any) -> Any:
    """Every `type: [A, B]` as `anyOf: [{type: A, ...}, {type: B}]`, the keywords that constrain
    one type kept with it (an enum with its string, not beside a null)."""
    if isinstance(schema, list):
        return [_single_types(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _single_types(value) if key != "properties" else value for key, value in schema.items()}
    if "properties" in schema and isinstance(schema["properties"], dict):
        out["properties"] = {name: _single_types(sub) for name, sub in schema["properties"].items()}
    kinds = out.get("type")
    if not isinstance(kinds, list):
        return out
    del out["type"]
    specific = {key: out.pop(key) for key in list(out) if key in _TYPE_SPECIFIC}
    branches = [{"type": kind, **(specific if kind != "null" else {})} for kind in kinds]
    return {"anyOf": branches, **out}


def _compact(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key == "additionalProperties" and value is True:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _compact(sub) for name, sub in value.items()}
            continue
        out[key] = _compact(value)
    branches = out.get("anyOf")
    if isinstance(branches, list):
        merged = _nullable(branches)
        if merged is not None:
            del out["anyOf"]
            out = {**merged, **out}
    return out


def _json_type(prop: dict[str, Any], defs: dict[str, Any]) -> str | list[str]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
        return _json_type(defs[ref[8:]], defs)
    if isinstance(prop.get("type"), str | list):
        kind = prop["type"]
        if isinstance(kind, list):
            present = [k for k in kind if k != "null"]
            return present[0] if len(present) == 1 else present
        return str(kind)
    kinds: list[str] = []
    for branch in prop.get("anyOf", []) + prop.get("oneOf", []):
        kind = _json_type(branch, defs)
        for k in [kind] if isinstance(kind, str) else kind:
            if k != "null" and k not in kinds:
                kinds.append(k)
    if "properties" in prop or "$ref" in prop:
        kinds.append("object")
    if "enum" in prop:
        kinds.append("string")
    if not kinds:
        return list(_JSON_TYPES[:-1])
    return kinds[0] if len(kinds) == 1 else kinds


def _admits_null(prop: dict[str, Any]) -> bool:
    kind = prop.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_admits_null(branch) for branch in prop.get("anyOf", []))


IDENTITY_FIELDS = frozenset({"id", "version"})
"""What the next call on a written entity needs: always listed in a write's output schema."""


def compact_output(schema: dict[str, Any], *, echoed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields every answer carries, with their JSON types.

    A field that may be null is sent only when it holds a value and is not listed: JSON Schema
    admits it as an additional property, and the input schemas already name it. The audit
    fields every entity carries are named once, in the server instructions. `echoed`: a write's
    arguments; when its answer is the entity as stored (it has an id or a version), the fields
    the caller sent come back, their types already in the input schema, so only the identity
    and the fields new to the caller are listed.
    """
    properties = schema.get("properties", {})
    defs = schema.get("$defs", {})
    listed = {
        name: {"type": _json_type(prop, defs)}
        for name, prop in properties.items()
        if not _admits_null(prop) and name not in AUDIT_FIELDS
    }
    if listed.keys() & IDENTITY_FIELDS:
        known = echoed - IDENTITY_FIELDS
        listed = {name: prop for name, prop in listed.items() if name not in known}
    return {"type": "object", "properties": listed}
