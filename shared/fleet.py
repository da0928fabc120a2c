"""What the fleet dashboard (dashboards/fleet.py) reads from the ruler's fleet rules
(rules/central/fleet.py): the names of the per-site rollups and of the fleet SLO's error ratios."""

from __future__ import annotations

SITE_REPORTING = "site:vv_fleet_reporting:present"
SITE_BACKLOG = "site:vv_fleet_input_backlog:sum"
SITE_ERROR_RATIO = "site:vv_fleet_videos_failed:ratio_rate5m"
SITE_STORAGE_SECONDS_LEFT = "site:vv_fleet_storage_seconds_left:min"
SITE_DVRS_CONNECTED = "site:vv_fleet_dvrs_connected:sum"
SITE_DVRS = "site:vv_fleet_dvrs:count"


def slo_error_ratio(window: str) -> str:
    return f"vv_fleet_videos_failed:ratio_rate{window}"
