"""Validate LINE payloads against LINE's official OpenAPI specs (``tests/spec/*.yml``).

Test helper, not a test file.  ``jsonschema`` is given OpenAPI 3.0 semantics by preprocessing the spec
and extending ``Draft4Validator``:

* ``discriminator`` + ``mapping``: a schema with a discriminator dispatches on the property's value to
  the mapped schema; a missing or unknown value is an error.
* The mapped schemas inherit with ``allOf: [{$ref: Base}, ...]``, and ``Base`` carries the discriminator,
  so following it naively loops.  Every ``$ref`` inside an ``allOf`` is redirected to a ``Base__part``
  copy without the discriminator.
* ``nullable: true`` admits ``null``.  ``format`` is an annotation only (int32, uri...): not checked.
* Strict mode (messaging API) rejects properties that the resolved schema does not declare in its own
  ``properties`` or in any ``allOf`` part: LINE rejects or drops them, and it catches typos like
  ``alt_text``.  Webhook validation is not strict, since LINE adds fields without notice.
"""

from __future__ import annotations

import copy
import functools
import reprlib
from pathlib import Path

import yaml
from jsonschema import Draft4Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT4

from handlers.messages.limits import check_request

SPEC_DIR = Path(__file__).parent / "spec"
_PREFIX = "#/components/schemas/"
_KNOWN = "x-known-properties"
REQUEST_SCHEMAS = {
    "reply": "ReplyMessageRequest",
    "push": "PushMessageRequest",
    "multicast": "MulticastRequest",
}


def _discriminator(validator, disc, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    prop, mapping = disc["propertyName"], disc.get("mapping", {})
    if prop not in instance:
        if prop not in schema.get("required", ()):  # else "required" already reports it
            yield ValidationError(f"missing discriminator {prop!r} (one of {sorted(mapping)})")
    elif instance[prop] not in mapping:
        yield ValidationError(f"unknown {prop} {instance[prop]!r}; expected one of {sorted(mapping)}")
    else:
        yield from validator.descend(instance, {"$ref": mapping[instance[prop]]})


def _known_properties(validator, known, instance, schema):
    if validator.is_type(instance, "object"):
        unknown = sorted(set(instance) - set(known))
        if unknown:
            yield ValidationError(f"unknown properties {unknown}; declared: {known}")


def _nullable(check):
    def wrapped(validator, value, instance, schema):
        if instance is None and schema.get("nullable"):
            return
        yield from check(validator, value, instance, schema) or ()

    return wrapped


_Validator = extend(
    Draft4Validator,
    {
        "discriminator": _discriminator,
        _KNOWN: _known_properties,
        "type": _nullable(Draft4Validator.VALIDATORS["type"]),
        "enum": _nullable(Draft4Validator.VALIDATORS["enum"]),
    },
)


def _subschemas(node: dict):
    """Yield (child, is_allof_part) for the subschemas this schema node holds."""
    for child in node.get("properties", {}).values():
        yield child, False
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            yield node[key], False
    for key in ("anyOf", "oneOf"):
        for child in node.get(key, ()):
            yield child, False
    for child in node.get("allOf", ()):
        yield child, True


def _prepare(spec: dict, strict: bool) -> dict:
    schemas = copy.deepcopy(spec["components"]["schemas"])

    # 1. allOf refs -> discriminator-free "__part" copies (breaks the Base -> Sub -> Base loop).
    parts: set[str] = set()

    def redirect(node):
        for child, is_part in _subschemas(node):
            if is_part and "$ref" in child:
                parts.add(child["$ref"].removeprefix(_PREFIX))
                child["$ref"] += "__part"
            redirect(child)

    for schema in schemas.values():
        redirect(schema)
    for name in parts:
        schemas[name + "__part"] = {k: v for k, v in schemas[name].items() if k != "discriminator"}

    # 2. Strict: every object schema that is a final (non-dispatching, non-part) schema gets its
    #    closed set of declared property names.
    def declared(node) -> set[str]:
        if "$ref" in node:
            node = schemas[node["$ref"].removeprefix(_PREFIX)]
        return set(node.get("properties", ())).union(*(declared(p) for p in node.get("allOf", ())))

    def close(node, is_part=False):
        if (
            not is_part
            and ("properties" in node or "allOf" in node)
            and "discriminator" not in node
            and "additionalProperties" not in node
        ):
            node[_KNOWN] = sorted(declared(node))
        for child, child_is_part in _subschemas(node):
            close(child, child_is_part)

    if strict:
        for name, schema in schemas.items():
            close(schema, is_part=name.endswith("__part"))
    return {"components": {"schemas": schemas}}


@functools.cache
def _prepared(spec_file: str, strict: bool) -> dict:
    spec = yaml.safe_load((SPEC_DIR / spec_file).read_text(encoding="utf-8"))
    return _prepare(spec, strict)


@functools.cache
def _validator(spec_file: str, schema_name: str, strict: bool):
    doc = _prepared(spec_file, strict)
    if schema_name not in doc["components"]["schemas"]:
        raise KeyError(f"{spec_file} has no schema {schema_name!r}")
    registry = Registry().with_resource(spec_file, DRAFT4.create_resource(doc))
    schema = {"$ref": f"{spec_file}{_PREFIX}{schema_name}"}
    return _Validator(schema, registry=registry)


def _format(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    message = error.message
    if error.validator in ("maxLength", "minLength", "maxItems", "minItems"):  # don't echo 5,000 chars
        message = (f"{reprlib.repr(error.instance)} has length {len(error.instance)};"
                   f" {error.validator} is {error.validator_value}")
    elif len(message) > 300:
        message = message[:300] + "..."
    return f"{path or '<root>'}: {message}"


def _validate(instance, spec_file: str, schema_name: str, strict: bool) -> None:
    instance = instance.to_dict() if hasattr(instance, "to_dict") else instance
    errors = list(_validator(spec_file, schema_name, strict).iter_errors(instance))
    if errors:
        lines = sorted(map(_format, errors))
        raise AssertionError(f"not a valid {schema_name} ({spec_file}):\n  " + "\n  ".join(lines))


def validate_schema(instance: dict, schema_name: str) -> None:
    """Assert ``instance`` is a valid ``messaging-api.yml#/components/schemas/<schema_name>`` (strict)."""
    _validate(instance, "messaging-api.yml", schema_name, strict=True)


def validate_message(msg: dict) -> None:
    """Assert one message object matches the spec and LINE's extra limits (checked as a push body)."""
    validate_request("push", {"to": "U" + "0" * 32, "messages": [msg]})


def validate_request(kind: str, body: dict) -> None:
    """Assert a reply/push/multicast body matches the spec and ``handlers.messages.limits.check_request``."""
    if kind not in REQUEST_SCHEMAS:
        raise ValueError(f"kind must be one of {sorted(REQUEST_SCHEMAS)}, not {kind!r}")
    body = body.to_dict() if hasattr(body, "to_dict") else body
    problems = []
    try:
        validate_schema(body, REQUEST_SCHEMAS[kind])
    except AssertionError as e:
        problems.append(str(e))
    if violations := check_request(kind, body):
        problems.append("LINE limits violated:\n  " + "\n  ".join(violations))
    if problems:
        raise AssertionError("\n".join(problems))


def validate_webhook_event(event: dict) -> None:
    """Assert one webhook event matches ``webhook.yml#/components/schemas/Event`` (unknown keys allowed)."""
    _validate(event, "webhook.yml", "Event", strict=False)


def schema_errors(schema_name: str, body: dict) -> list[str]:
    """The fake LINE's check of a request that is not a message send (rich menus): the spec's
    schema (strict), plus LINE's limits on rich-menu objects that the schema does not state."""
    from handlers.messages.menus import check_menu

    problems = []
    try:
        validate_schema(body, schema_name)
    except AssertionError as e:
        problems.append(str(e))
    if schema_name == "RichMenuRequest":
        problems += check_menu(body)
    return problems
