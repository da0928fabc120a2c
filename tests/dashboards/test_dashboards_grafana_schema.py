"""The generated dashboards against Grafana's own panel types: @grafana/schema from the npm registry, turned into
JSON Schemas at setup (scripts/grafana-schema.sh, into the git-ignored .cache/).

Against the release they are written for (GRAFANA_VERSION): unknown keys refused, every key the types require
present, every default they declare written out, so a save in Grafana's UI has nothing to add. Against 10.4
and 11, which must still import them: every option those releases know has the type they expect (options
they do not know are ignored there, missing ones take their defaults)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import PROJECT_ROOT
from vvdash.model.dashboards import GRAFANA_VERSION, iter_panels

SCHEMAS = PROJECT_ROOT / ".cache" / "grafana-schema" / "json" / GRAFANA_VERSION
OLDER = {"11": PROJECT_ROOT / ".cache" / "grafana-schema" / "json" / "11.6.16",
         "10.4": PROJECT_ROOT / ".cache" / "grafana-schema" / "json" / "10.4.19"}   # = scripts/grafana-schema.sh
GENERATED = PROJECT_ROOT / "generated" / "dashboards"


def _load(path: Path) -> dict:
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make setup` (scripts/grafana-schema.sh fetches @grafana/schema)")
    return json.loads(path.read_text())


def _validator(schema: dict) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema)


def _errors(validator, value, where: str) -> list[str]:
    out = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        out.append(f"{where}{'.' + path if path else ''}: {error.message}")
    return out


def lenient(schema):
    """The schema with unknown keys allowed and nothing required: only the types of known keys checked."""
    if isinstance(schema, dict):
        return {k: lenient(v) for k, v in schema.items() if k != "required"} | (
            {"additionalProperties": True} if schema.get("additionalProperties") is False else {})
    if isinstance(schema, list):
        return [lenient(v) for v in schema]
    return schema


def _panel_schemas(model: dict, schemas: Path):
    """(panel, its type, its entry in @grafana/schema) for every panel but rows."""
    for panel in iter_panels(model):
        kind = panel.get("type", "")
        if kind != "row":
            yield panel, kind, _load(schemas / "panels" / f"{kind.replace('-', '')}.json")


def _custom(panel: dict) -> dict:
    return ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("custom", {})


def panel_type_errors(model: dict, schemas: Path = SCHEMAS, strict: bool = True) -> list[str]:
    """Every option or custom field config of every panel that Grafana's types do not declare or type so
    (strict: unknown keys and missing required ones too)."""
    shape = (lambda schema: schema) if strict else lenient
    problems = []
    for panel, kind, entry in _panel_schemas(model, schemas):
        where = f"{model.get('uid')} panel {panel.get('id')} {panel.get('title')!r} ({kind})"
        if entry.get("errors"):
            problems.append(f"{where}: no JSON Schema for this panel type: {entry['errors']}")
            continue
        problems += _errors(_validator(shape(entry["Options"])), panel.get("options", {}), f"{where} options")
        if "FieldConfig" in entry:
            problems += _errors(_validator(shape(entry["FieldConfig"])), _custom(panel),
                                f"{where} fieldConfig.defaults.custom")
    return problems


def _missing(defaults: dict, value, where: str) -> list[str]:
    """Keys (nested ones too) that the defaults name and `value` lacks."""
    out = []
    for key, default in defaults.items():
        if not isinstance(value, dict) or key not in value:
            out.append(f"{where}.{key}: not written (Grafana's default: {json.dumps(default)})")
        elif isinstance(default, dict):
            out += _missing(default, value[key], f"{where}.{key}")
    return out


def panel_default_gaps(model: dict, schemas: Path = SCHEMAS) -> list[str]:
    """Every option and custom field config for which @grafana/schema declares a default and the panel has none."""
    gaps = []
    for panel, kind, entry in _panel_schemas(model, schemas):
        where = f"{model.get('uid')} panel {panel.get('id')} ({kind})"
        defaults = entry.get("defaults", {})
        gaps += _missing(defaults.get("Options", {}), panel.get("options", {}), f"{where} options")
        gaps += _missing(defaults.get("FieldConfig", {}), _custom(panel), f"{where} fieldConfig.defaults.custom")
    return gaps


def _generated() -> list[Path]:
    return sorted(GENERATED.glob("*.json"))


@pytest.mark.parametrize("path", _generated(), ids=lambda p: p.stem)
def test_panel_options_match_grafana_12_types(path):
    assert panel_type_errors(json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", _generated(), ids=lambda p: p.stem)
def test_every_default_grafana_declares_is_written_out(path):
    """What Grafana would add on a save is already there, so a save in its UI leaves no diff behind."""
    assert panel_default_gaps(json.loads(path.read_text())) == []


@pytest.mark.parametrize("release", list(OLDER))
@pytest.mark.parametrize("path", _generated(), ids=lambda p: p.stem)
def test_every_option_grafana_10_4_and_11_know_has_their_type(path, release):
    assert panel_type_errors(json.loads(path.read_text()), OLDER[release], strict=False) == []


def test_the_types_are_those_of_the_release_the_dashboards_are_written_for():
    assert _load(SCHEMAS / "panels" / "stat.json")["version"] == GRAFANA_VERSION
    assert [_load(folder / "panels" / "stat.json")["version"] for folder in OLDER.values()] == \
        [folder.name for folder in OLDER.values()]


def test_the_check_refuses_unknown_and_mistyped_options():
    """The check can fail: an unknown key, a wrong type and a missing default are each reported."""
    panel = next(p for path in _generated() for p in iter_panels(json.loads(path.read_text()))
                 if p.get("type") == "stat")
    assert panel_type_errors({"uid": "x", "panels": [panel]}) == []
    broken = json.loads(json.dumps(panel))
    broken["options"]["sparkle"] = True
    broken["options"]["wideLayout"] = "yes"
    del broken["options"]["showPercentChange"]
    found = "\n".join(panel_type_errors({"uid": "x", "panels": [broken]}))
    assert "'sparkle' was unexpected" in found
    assert "'yes' is not of type 'boolean'" in found
    assert "'showPercentChange' is a required property" in found
    broken["options"]["percentChangeColorMode"] = 7
    strict_found = "\n".join(panel_type_errors({"uid": "x", "panels": [broken]}))
    lenient_found = "\n".join(panel_type_errors({"uid": "x", "panels": [broken]}, OLDER["10.4"], strict=False))
    assert "percentChangeColorMode: 7 is not one of" in strict_found
    assert "percentChangeColorMode" not in lenient_found     # 10.4 does not know it: ignored there
    assert "'yes' is not of type 'boolean'" in lenient_found  # it knows wideLayout
    broken["options"]["graphMode"] = 3
    assert "3 is not one of" in "\n".join(panel_type_errors({"uid": "x", "panels": [broken]}, OLDER["10.4"],
                                                            strict=False))
    del broken["options"]["graphMode"]
    assert panel_default_gaps({"uid": "x", "panels": [broken]}) == [
        f'x panel {broken["id"]} (stat) options.graphMode: not written (Grafana\'s default: "area")',
        f'x panel {broken["id"]} (stat) options.showPercentChange: not written (Grafana\'s default: false)']
