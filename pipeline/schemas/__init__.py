"""JSON schemas of the pipeline's documents, loaded once."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema

HERE = Path(__file__).parent


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((HERE / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def first_error(name: str, doc) -> str | None:
    """None when `doc` is valid against <name>.schema.json, else one line naming the failing key."""
    err = jsonschema.exceptions.best_match(validator(name).iter_errors(doc))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"{name}.schema.json: {where}: {err.message}"
