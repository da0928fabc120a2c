"""The catalog as a table, JSON or Markdown (`vvdash catalog`, generated/METRICS.md)."""

from __future__ import annotations

import json

from vvdash.catalog import Catalog
from vvdash.catalog.model import TARGET_LABELS


def as_records(catalog: Catalog) -> list[dict]:
    return [
        {
            "name": m.name, "type": m.type, "help": m.help, "labels": list(m.labels), "unit": m.unit,
            "component": m.component, "buckets": list(m.buckets), "seed_name": m.seed_name or None,
            "seed_reason": m.seed_reason or None, "exporter": m.exporter, "pushed": m.pushed,
            "known_values": {label: list(values) for label, values in m.known_values},
        }
        for m in catalog
    ]


def as_json(catalog: Catalog) -> str:
    return json.dumps(as_records(catalog), indent=2, sort_keys=True) + "\n"


def as_table(catalog: Catalog) -> str:
    rows = [("NAME", "TYPE", "UNIT", "COMPONENT", "LABELS")]
    rows += [(m.name, m.type, m.unit or "-", m.component, ",".join(m.labels) or "-") for m in catalog]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "".join(
        "  ".join(c.ljust(widths[i]) if i < 4 else c for i, c in enumerate(r)).rstrip() + "\n" for r in rows
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "–"


def as_markdown(catalog: Catalog) -> str:
    out = [
        "# Metrics reference",
        "",
        "Generated from the metric catalog (`vvdash/catalog/`) by `python -m vvdash build`.",
        f"Every scraped series also carries the target labels {', '.join(f'`{t}`' for t in TARGET_LABELS)}.",
        "",
    ]
    components = sorted({(m.exporter, m.component) for m in catalog})
    for exporter, component in components:
        out += [f"## {component}" + (" (exporter)" if exporter else ""), "",
                "| Metric | Type | Unit | Labels | Help |", "|---|---|---|---|---|"]
        for m in catalog.for_component(component):
            buckets = f" Buckets: {', '.join(f'{b:g}' for b in m.buckets)}." if m.buckets else ""
            pushed = " Pushed through the Pushgateway." if m.pushed else ""
            known = "".join(f" `{label}`: {', '.join(values)}." for label, values in m.known_values)
            known = f" Every series exists from the start (0).{known}" if m.precreated() else ""
            out.append(f"| `{m.name}` | {m.type} | {_cell(m.unit)} | "
                       f"{_cell(', '.join(f'`{label}`' for label in m.labels))} | "
                       f"{_cell(m.help + buckets + pushed + known)} |")
        out.append("")
    out += ["## Blueprint names", "",
            "The system blueprint names these metrics (`seed_name` in `vvdash catalog --format json`).",
            "Where its names break Prometheus conventions, the conventional form is exposed.", "",
            "| Blueprint name | Exposed name | Reason |", "|---|---|---|"]
    for m in sorted((m for m in catalog if m.seed_name and (m.seed_name != m.name or m.seed_reason)),
                    key=lambda m: m.seed_name):
        out.append(f"| `{m.seed_name}` | `{m.name}` | {_cell(m.seed_reason or 'same name')} |")
    return "\n".join(out) + "\n"
