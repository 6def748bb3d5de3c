"""Keep every event readable by consumers of its current version: compare schemas, list breaking changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.registry import event_types

SCHEMA_DIR = Path(__file__).parent / "schemas"
Schema = dict[str, Any]


def current_schemas() -> dict[str, Schema]:
    """The JSON Schema of every event as the code defines it now."""
    return {name: cls.model_json_schema() for name, cls in event_types().items()}


def stored_schemas(directory: Path = SCHEMA_DIR) -> dict[str, Schema]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in current_schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root.get("$defs", {})[name]
    return schema


def _types(schema: Schema, root: Schema) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return set().union(*(_types(option, root) for option in schema["anyOf"]))
    if "const" in schema:
        return {f"const:{schema['const']}"}
    if "enum" in schema:
        return {f"enum:{value}" for value in schema["enum"]}
    return {str(schema.get("type", "any"))}


def _children(schema: Schema, root: Schema) -> list[Schema]:
    """The object/array schemas inside a (possibly nullable) field, to compare field by field."""
    schema = _resolve(schema, root)
    options = schema.get("anyOf", [schema])
    return [_resolve(option, root) for option in options if _resolve(option, root).get("type") != "null"]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What in `new` would break a consumer written against `old`."""
    problems: list[str] = []
    _compare(old, new, old, new, "", problems)
    return problems


def _compare(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, out: list[str]) -> None:
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if old_types != new_types:
        out.append(f"{path.rstrip('.') or '<root>'}: type changed from {sorted(old_types)} to {sorted(new_types)}")
        return
    for old_child, new_child in zip(_children(old, old_root), _children(new, new_root), strict=False):
        old_props, new_props = old_child.get("properties", {}), new_child.get("properties", {})
        for field in old_props:
            if field not in new_props:
                out.append(f"{path}{field}: removed or renamed")
            else:
                _compare(old_props[field], new_props[field], old_root, new_root, f"{path}{field}.", out)
        for field in sorted(set(new_child.get("required", [])) - set(old_child.get("required", []))):
            out.append(f"{path}{field}: new required field")
        if "items" in old_child and "items" in new_child:
            _compare(old_child["items"], new_child["items"], old_root, new_root, f"{path}[].", out)
        old_prefix, new_prefix = old_child.get("prefixItems"), new_child.get("prefixItems")
        if old_prefix or new_prefix:
            if len(old_prefix or []) != len(new_prefix or []):
                out.append(f"{path}: tuple shape changed")
            for old_item, new_item in zip(old_prefix or [], new_prefix or [], strict=False):
                _compare(old_item, new_item, old_root, new_root, f"{path}[].", out)
        old_extra, new_extra = old_child.get("additionalProperties"), new_child.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            _compare(old_extra, new_extra, old_root, new_root, f"{path}{{}}.", out)
