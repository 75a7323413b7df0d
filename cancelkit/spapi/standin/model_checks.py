"""Amazon's published models (models/, Apache-2.0) as a checker: each request the stand-in
is sent and each answer it gives is checked against the operation's parameters, body and
response schemas (path, method, required fields, types, enum values, date-times)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILES = ("feeds_2021-06-30.json", "orders_2026-01-01.json")


# -- the models ---------------------------------------------------------------------------


class Models:
    """Amazon's Swagger 2.0 models: operations by method and path, and a schema checker."""

    def __init__(self, folder: Path = MODELS) -> None:
        self.operations: list[tuple[str, re.Pattern, dict, dict]] = []
        for name in MODEL_FILES:
            document = json.loads((folder / name).read_text(encoding="utf-8"))
            for template, methods in document["paths"].items():
                pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
                for method, operation in methods.items():
                    if method != "parameters":
                        self.operations.append((method.upper(), pattern, operation, document))

    def find(self, method: str, path: str) -> tuple[dict, dict, dict] | None:
        for verb, pattern, operation, document in self.operations:
            found = pattern.match(path)
            if found and verb == method:
                return operation, document, found.groupdict()
        return None

    def check(self, schema: dict, value: Any, where: str, document: dict) -> list[str]:
        """What in `value` does not fit `schema` (resolving the model's $refs)."""
        while "$ref" in schema:
            schema = document["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
        problems: list[str] = []
        kind = schema.get("type")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "object" or "properties" in schema:
            if not isinstance(value, dict):
                return [f"{where}: expected an object, got {value!r}"]
            problems += self._check_object(schema, value, where, document)
        elif kind == "array":
            if not isinstance(value, list):
                return [f"{where}: expected an array, got {value!r}"]
            problems += self._check_array(schema, value, where, document)
        else:
            problems += _check_scalar(kind, value, where)
        if kind == "string" and isinstance(value, str) and schema.get("format") == "date-time":
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}: {value!r} is not an ISO 8601 date-time")
        return problems

    def _check_object(self, schema: dict, value: dict, where: str, document: dict) -> list[str]:
        problems = [
            f"{where}: required field {name} is missing"
            for name in schema.get("required", ())
            if name not in value
        ]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                problems += self.check(properties[name], item, f"{where}.{name}", document)
            elif isinstance(extra, dict):
                problems += self.check(extra, item, f"{where}.{name}", document)
        return problems

    def _check_array(self, schema: dict, value: list, where: str, document: dict) -> list[str]:
        problems: list[str] = []
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{where}: more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            problems += self.check(schema.get("items", {}), item, f"{where}[{index}]", document)
        return problems

    def check_request(
        self, operation: dict, document: dict, path_values: dict, query: dict, body: bytes
    ) -> list[str]:
        problems: list[str] = []
        name = operation["operationId"]
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
        for extra in sorted(set(query) - declared):
            problems.append(f"{name}: query parameter {extra} is not in the model")
        for parameter in operation.get("parameters", ()):
            where = f"{name}.{parameter['name']}"
            if parameter["in"] == "path":
                if not path_values.get(parameter["name"]):
                    problems.append(f"{where}: path parameter missing")
            elif parameter["in"] == "query":
                problems += self._check_query(
                    parameter, query.get(parameter["name"]), where, document
                )
            elif parameter["in"] == "body":
                problems += self._check_body(parameter, body, where, document)
        if not any(p["in"] == "body" for p in operation.get("parameters", ())) and body:
            problems.append(f"{name}: a body was sent, the model has none")
        return problems

    def _check_query(
        self, parameter: dict, values: list[str] | None, where: str, document: dict
    ) -> list[str]:
        """A query parameter's values (parse_qs: a list, None when not given)."""
        if values is None:
            return (
                [f"{where}: required query parameter missing"] if parameter.get("required") else []
            )
        problems: list[str] = []
        if len(values) != 1:
            problems.append(f"{where}: given {len(values)} times")
        text = values[0]
        if parameter.get("type") == "array":  # Swagger 2.0 default: csv
            items = text.split(",")
            problems += self.check(
                {k: v for k, v in parameter.items() if k in ("minItems", "maxItems")}
                | {"type": "array", "items": parameter.get("items", {})},
                items,
                where,
                document,
            )
        elif parameter.get("type") == "integer":
            problems += _check_integer(parameter, text, where)
        else:
            problems += self.check(parameter, text, where, document)
        return problems

    def _check_body(self, parameter: dict, body: bytes, where: str, document: dict) -> list[str]:
        try:
            value = json.loads(body or b"null")
        except ValueError:
            return [f"{where}: the body is not JSON"]
        if value is None:
            return [f"{where}: required body missing"] if parameter.get("required") else []
        return self.check(parameter["schema"], value, where, document)

    def check_response(self, operation: dict, document: dict, status: int, value) -> list[str]:
        declared = operation["responses"].get(str(status))
        if declared is None:
            return [f"{operation['operationId']}: HTTP {status} is not a declared response"]
        schema = declared.get("schema")
        if schema is None:
            return []
        return self.check(schema, value, f"{operation['operationId']} response", document)


def _check_scalar(kind: str | None, value: Any, where: str) -> list[str]:
    """A string, integer or boolean of the model (bool is no integer)."""
    if kind == "string" and not isinstance(value, str):
        return [f"{where}: expected a string, got {value!r}"]
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{where}: expected an integer, got {value!r}"]
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{where}: expected a boolean, got {value!r}"]
    return []


def _check_integer(parameter: dict, text: str, where: str) -> list[str]:
    """An integer query parameter: digits, within the model's minimum and maximum."""
    if not re.fullmatch(r"\d+", text):
        return [f"{where}: {text!r} is not an integer"]
    number = int(text)
    low, high = parameter.get("minimum"), parameter.get("maximum")
    if (low is not None and number < low) or (high is not None and number > high):
        return [f"{where}: {number} outside {low}..{high}"]
    return []
