"""The Grafana folder path an inventory names (for provisioning and for uploads)."""

from vvdash.errors import VVError


def folder_path(grafana: dict) -> list[str]:
    """The folder titles from the top level down: grafana.folder split at '/', else [grafana.folder_title]."""
    if grafana.get("folder"):
        parts = [p.strip() for p in str(grafana["folder"]).split("/")]
        if not all(parts):
            raise VVError(f"grafana.folder: {grafana['folder']!r} has an empty level; write it like 'VV/Site A'")
        return parts
    return [grafana["folder_title"]]
