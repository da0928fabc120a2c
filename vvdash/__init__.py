"""vvdash: monitoring as code for the VV Video AI System."""

__version__ = "0.1.0"
