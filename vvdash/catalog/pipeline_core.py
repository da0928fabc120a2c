"""Metrics of the video pipeline: DVR capture, orchestrator and the three stages (blueprint sections 2.1, 2.3)."""

from vvdash.catalog.reasons import CORRUPTED_REASONS   # the one list of corrupted/ reasons
from vvdash.catalog.model import Metric

STAGE_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
FAST_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
INFERENCE_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
PIPELINE_SECONDS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 300)
CONNECT_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

_GAUGE_TOTAL = "a gauge must not end in _total (it reads as a counter in PromQL)"

VIDEO_OUTCOMES = ("success", "failure", "corrupted")

METRICS = [
    # -- orchestrator ---------------------------------------------------------
    Metric("vv_videos_in_input_queue", "gauge",
           "Videos waiting in input/ for processing. Claimed videos waiting for a scan worker count too.",
           "orchestrator", seed_name="vv_videos_in_input_queue_total", seed_reason=_GAUGE_TOTAL),
    Metric("vv_videos_processed_total", "counter", "Videos that went through the whole pipeline, by outcome.",
           "orchestrator", ("status",), seed_name="vv_videos_processed_total",
           known_values=(("status", VIDEO_OUTCOMES),)),
    Metric("vv_video_processing_duration_seconds", "histogram",
           "Time one video spends in scan, summarize and logline, waits for workers excluded.", "orchestrator",
           ("status",),
           "seconds", PIPELINE_SECONDS, seed_name="vv_video_processing_duration_seconds",
           seed_reason="label video_filename dropped: one series per file is unbounded cardinality"),
    Metric("vv_video_queue_wait_seconds", "histogram",
           "Time a claimed video waited for stage workers (not part of its processing duration).",
           "orchestrator", (), "seconds", PIPELINE_SECONDS),
    Metric("vv_files_in_corrupted", "gauge", "Files currently in corrupted/.", "orchestrator",
           seed_name="vv_files_in_corrupted_total", seed_reason=_GAUGE_TOTAL),
    Metric("vv_videos_corrupted_total", "counter", "Inputs moved to corrupted/, by reason.",
           "orchestrator", ("reason",), known_values=(("reason", CORRUPTED_REASONS),)),
    Metric("vv_pipeline_stage_active_processors", "gauge", "Workers busy on an item, per stage.",
           "orchestrator", ("stage",), seed_name="vv_pipeline_stage_active_processors"),
    Metric("vv_pipeline_stage_workers", "gauge", "Workers configured per stage.", "orchestrator", ("stage",)),
    # -- scan_video -----------------------------------------------------------
    Metric("vv_scan_video_processed_total", "counter", "Videos scanned, by outcome.", "scan_video",
           ("status",), seed_name="vv_scan_video_processed_total", known_values=(("status", VIDEO_OUTCOMES),)),
    Metric("vv_scan_video_duration_seconds", "histogram", "Time to scan one video.", "scan_video",
           (), "seconds", STAGE_SECONDS, seed_name="vv_scan_video_duration_seconds"),
    Metric("vv_scan_video_frames_scanned_total", "counter", "Frames decoded and analysed.", "scan_video",
           seed_name="vv_scan_video_frames_scanned_total"),
    Metric("vv_scan_video_objects_detected_total", "counter", "Detections by object type.", "scan_video",
           ("object_type",), seed_name="vv_scan_video_objects_detected_total",
           known_values=(("object_type", ("person", "face")),)),
    Metric("vv_scan_video_faces_detected_total", "counter", "Faces detected.", "scan_video",
           seed_name="vv_scan_video_faces_detected_total"),
    Metric("vv_scan_video_schema_validation_errors_total", "counter",
           "Analytic documents that failed analytic.schema.json.", "scan_video",
           seed_name="vv_scan_video_schema_validation_errors_total"),
    # -- summarize_scene ------------------------------------------------------
    Metric("vv_summarize_scene_processed_total", "counter", "Analytics summarized, by outcome.",
           "summarize_scene", ("status",), seed_name="vv_summarize_scene_processed_total",
           known_values=(("status", ("success", "failure")),)),
    Metric("vv_summarize_scene_duration_seconds", "histogram",
           "Time to summarize one analytic, model I/O and inference included.", "summarize_scene",
           (), "seconds", INFERENCE_SECONDS, seed_name="vv_summarize_scene_duration_seconds"),
    Metric("vv_summarize_scene_bitnet_inference_duration_seconds", "histogram",
           "Time of one model inference, by backend.", "summarize_scene", ("backend",), "seconds",
           INFERENCE_SECONDS, seed_name="vv_summarize_scene_bitnet_inference_duration_seconds",
           seed_reason="label backend added: the built-in and BitNet backends differ by orders of magnitude"),
    Metric("vv_summarize_scene_inferences_total", "counter", "Model inferences, by backend and outcome.",
           "summarize_scene", ("backend", "status")),
    Metric("vv_summarize_scene_model_loaded_info", "gauge",
           "1 while a model is loaded; labels name it.", "summarize_scene",
           ("backend", "model_name", "model_version"), "info",
           seed_name="vv_summarize_scene_model_loaded_info"),
    Metric("vv_summarize_scene_gpu_utilization_ratio", "gauge",
           "GPU utilisation (0-1); only exposed where a GPU is present.", "summarize_scene", ("gpu",),
           "ratio", seed_name="vv_summarize_scene_gpu_utilization_percent",
           seed_reason="base unit: ratios are 0-1, not percent"),
    Metric("vv_summarize_scene_gpu_memory_used_bytes", "gauge",
           "GPU memory in use; only exposed where a GPU is present.", "summarize_scene", ("gpu",),
           "bytes", seed_name="vv_summarize_scene_gpu_memory_used_bytes"),
    Metric("vv_summarize_scene_schema_validation_errors_total", "counter",
           "Summary documents that failed summary.schema.json.", "summarize_scene",
           seed_name="vv_summarize_scene_schema_validation_errors_total"),
    # -- logline_generator ----------------------------------------------------
    Metric("vv_logline_generated_total", "counter", "Loglines written, by outcome.", "logline_generator",
           ("status",), seed_name="vv_logline_generated_total",
           known_values=(("status", ("success", "failure", "duplicate")),)),
    Metric("vv_logline_generation_duration_seconds", "histogram", "Time to build, sign and write one logline.",
           "logline_generator", (), "seconds", FAST_SECONDS,
           seed_name="vv_logline_generation_duration_seconds"),
    Metric("vv_logline_hmac_errors_total", "counter", "Failures while signing a logline.",
           "logline_generator", seed_name="vv_logline_hmac_errors_total"),
    Metric("vv_logline_schema_validation_errors_total", "counter",
           "Loglines that failed logline.schema.json.", "logline_generator",
           seed_name="vv_logline_schema_validation_errors_total"),
    # -- agent_dvr ------------------------------------------------------------
    Metric("vv_agent_dvr_connection_status", "gauge", "1 while connected to the DVR, 0 otherwise.",
           "agent_dvr", ("dvr",), seed_name="vv_agent_dvr_connection_status",
           seed_reason="label dvr added: a site may have several DVRs"),
    Metric("vv_agent_dvr_connection_errors_total", "counter", "Failed connections and dropped streams.",
           "agent_dvr", ("dvr",), seed_name="vv_agent_dvr_connection_errors_total"),
    Metric("vv_agent_dvr_frames_captured_total", "counter", "Frames read from the DVR stream.",
           "agent_dvr", ("dvr",), seed_name="vv_agent_dvr_frames_captured_total"),
    Metric("vv_agent_dvr_video_segments_created_total", "counter", "Segments written to input/.",
           "agent_dvr", ("dvr",), seed_name="vv_agent_dvr_video_segments_created_total"),
    Metric("vv_agent_dvr_connect_duration_seconds", "histogram", "Latency of connection attempts to the DVR.",
           "agent_dvr", ("dvr",), "seconds", CONNECT_SECONDS),
    Metric("vv_agent_dvr_last_segment_timestamp_seconds", "gauge", "When the last segment was written.",
           "agent_dvr", ("dvr",), "timestamp"),
]
