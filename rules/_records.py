"""Names of the recording rules, for alerts and dashboards (one place for each name)."""

from rules._common import RATE_WINDOW

STAGE_ITEMS_RATE = f"stage:vv_pipeline_items:rate{RATE_WINDOW}"
STAGE_ERROR_RATIO = f"stage:vv_pipeline_errors:ratio_rate{RATE_WINDOW}"
STAGE_DURATION_QUANTILE = "stage:vv_pipeline_duration_seconds:histogram_quantile"
STAGE_SCHEMA_ERRORS_RATE = f"stage:vv_schema_validation_errors:rate{RATE_WINDOW}"
VIDEO_DURATION_QUANTILE = "site:vv_video_processing_duration_seconds:histogram_quantile"
INFERENCE_DURATION_QUANTILE = "backend:vv_summarize_scene_inference_duration_seconds:histogram_quantile"
INFERENCE_FAILURE_RATIO = f"backend:vv_summarize_scene_inferences_failed:ratio_rate{RATE_WINDOW}"
FOLDER_GROWTH = "folder:vv_storage_used_bytes:deriv1h"

# Error ratio of the pipeline SLO over each burn-rate window.
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def slo_error_ratio(window: str) -> str:
    return f"site:vv_videos_failed:ratio_rate{window}"


QUANTILES = ("0.5", "0.95", "0.99")
