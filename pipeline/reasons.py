"""The corrupted/ reasons: declared in the catalog (vvdash.catalog.reasons), read here by the orchestrator."""

from vvdash.catalog.reasons import (  # noqa: F401
    CONTAINER_REASONS, CORRUPTED_REASONS, ORCHESTRATOR_REASONS, PERMANENT_REASONS,
)
