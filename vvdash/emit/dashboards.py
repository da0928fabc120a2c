"""generated/dashboards/<uid>.json: one file per dashboard definition."""

from vvdash.emit.serialize import dump_json


def emit(project) -> dict[str, bytes]:
    return {f"dashboards/{d.uid}.json": dump_json(d.model) for d in project.dashboards}
