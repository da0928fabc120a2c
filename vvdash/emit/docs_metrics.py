"""generated/METRICS.md: the metrics reference with the blueprint-name mapping."""

from vvdash.catalog.render import as_markdown


def emit(project) -> dict[str, bytes]:
    return {"METRICS.md": as_markdown(project.catalog).encode()}
