"""vvdash: monitoring as code for the VV Video AI System."""

from pathlib import Path

__version__ = "0.1.0"

# The repository root: where vvdash.yaml, dashboards/, rules/ and generated/ live.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
