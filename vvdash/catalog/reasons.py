"""Every `reason` an input can be filed in corrupted/ with: the label values of vv_videos_corrupted_total.

One list, read by the orchestrator (it exposes each at 0 from the start, so rate() sees the first
increment) and by anything that needs the bounded label set (the catalog, benchmarks, tests).
"""

# What scan_video finds in the file itself.
CONTAINER_REASONS = ("empty", "not_a_video", "not_a_file", "symlink", "undecodable", "no_frames", "truncated")
# Answers of a stage that will not get better by retrying.
PERMANENT_REASONS = ("analytic_schema_invalid", "summary_schema_invalid", "logline_schema_invalid", "refused_path")
# The orchestrator's own: repeated unexpected errors, or a corrupted answer without a reason.
ORCHESTRATOR_REASONS = ("unexpected_error", "unknown")

CORRUPTED_REASONS = (*CONTAINER_REASONS, *PERMANENT_REASONS, *ORCHESTRATOR_REASONS)
