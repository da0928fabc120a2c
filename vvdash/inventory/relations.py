"""Relationships between inventory values, checked once every single value is valid.

Each problem is one line naming both keys: `<key>: <value> must be <relation> <other key> (<value>)`.
They are the conditions under which every alert can both fire and stay quiet, so the rule tests
rendered from the inventory prove something for any inventory that loads.
"""

from __future__ import annotations

from vvdash.inventory import duration_seconds

MIN_SCRAPES = 4           # samples a rate window needs for a stable rate


def fixed_windows() -> dict[str, float]:
    """The windows fixed in the rules, so the scrape interval must fit them: the rate window of
    every recording rule and the folder growth window (one place each: the rules)."""
    from rules._common import RATE_WINDOW  # noqa: PLC0415  (rules import the inventory package)
    from rules.storage import GROWTH_WINDOW  # noqa: PLC0415

    return {f"the rules' {RATE_WINDOW} rate windows": duration_seconds(RATE_WINDOW),
            f"the {GROWTH_WINDOW} folder growth window": duration_seconds(GROWTH_WINDOW)}


def _fmt(seconds: float) -> str:
    out, rest = "", round(seconds * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0s"


def _fast_burn() -> float:
    # The highest burn-rate factor of the pipeline SLO alerts (one place: rules/pipeline.py).
    from rules.pipeline import PAGE_BURNS  # noqa: PLC0415  (rules import the inventory package)

    return max(factor for _, _, factor in PAGE_BURNS)


def relationship_errors(data: dict) -> list[tuple[str, str]]:
    """[(key path, message)] for every broken relationship, in a fixed order."""
    th = data["thresholds"]
    prom = data["prometheus"]
    scrape = duration_seconds(prom["scrape_interval"])
    evaluation = duration_seconds(prom["evaluation_interval"])
    errors: list[tuple[str, str]] = []

    def key(path: str):
        node = data
        for part in path.split("."):
            node = node[part]
        return node

    # Windows and `for`s are evaluated on the rule grid: a fraction of a second there (say
    # `1y2w3d4h5m6s7ms`) is no duration any evaluation or rule test can sit on.
    for section, values in sorted(th.items()):
        for name, value in sorted(values.items()):
            if isinstance(value, str) and (secs := duration_seconds(value)) != int(secs):
                errors.append((f"thresholds.{section}.{name}",
                               f"{value} must be a whole number of seconds (rules are evaluated on a grid of seconds)"))
    fixed = fixed_windows()
    for what, secs in fixed.items():
        if secs < MIN_SCRAPES * scrape:
            errors.append(("prometheus.scrape_interval",
                           f"{prom['scrape_interval']} is too long for {what}: at most {_fmt(secs / MIN_SCRAPES)} "
                           f"({MIN_SCRAPES} scrapes per window)"))
    rate_windows, rate_window = next(iter(fixed.items()))
    if evaluation > rate_window:
        errors.append(("prometheus.evaluation_interval",
                       f"{prom['evaluation_interval']} is longer than {rate_windows}"))
    # -- warning below critical -----------------------------------------------------------
    if th["pipeline"]["corrupted_files_warning"] >= th["pipeline"]["corrupted_files_critical"]:
        errors.append(("thresholds.pipeline.corrupted_files_warning",
                       f"{th['pipeline']['corrupted_files_warning']} must be below "
                       f"thresholds.pipeline.corrupted_files_critical ({th['pipeline']['corrupted_files_critical']})"))
    st = th["storage"]
    if duration_seconds(st["fill_warning_horizon"]) <= duration_seconds(st["fill_critical_horizon"]):
        errors.append(("thresholds.storage.fill_warning_horizon",
                       f"{st['fill_warning_horizon']} must be longer than thresholds.storage.fill_critical_horizon "
                       f"({st['fill_critical_horizon']}): the warning predicts further ahead"))
    if st["almost_full_free_ratio"] >= st["fill_free_floor_ratio"]:
        errors.append(("thresholds.storage.almost_full_free_ratio",
                       f"{st['almost_full_free_ratio']} must be below thresholds.storage.fill_free_floor_ratio "
                       f"({st['fill_free_floor_ratio']}): almost full is the lower, critical floor"))
    if st["almost_full_free_ratio"] <= 0:
        errors.append(("thresholds.storage.almost_full_free_ratio",
                       f"{st['almost_full_free_ratio']} must be above 0: free space is never below 0, "
                       "so VVStorageAlmostFull could never fire"))
    if duration_seconds(st["for"]) >= duration_seconds(st["fill_critical_horizon"]):
        errors.append(("thresholds.storage.for",
                       f"{st['for']} must be shorter than thresholds.storage.fill_critical_horizon "
                       f"({st['fill_critical_horizon']}): the disk would be full before the alert fires"))
    elif duration_seconds(st["for"]) + evaluation > duration_seconds(st["fill_critical_horizon"]):
        # The alert fires at the first evaluation `for` after the prediction turns true: up to one
        # evaluation interval later.
        errors.append(("thresholds.storage.for",
                       f"{st['for']} plus prometheus.evaluation_interval ({prom['evaluation_interval']}) must not "
                       f"exceed thresholds.storage.fill_critical_horizon ({st['fill_critical_horizon']}): "
                       "the disk could be full before the alert fires"))

    # -- ratios an alert must be able to exceed ---------------------------------------------
    for path in ("thresholds.pipeline.stage_error_ratio", "thresholds.summarizer.failure_ratio"):
        if key(path) >= 1:
            errors.append((path, f"{key(path)} must be below 1: a share of items never exceeds 1, so the "
                                 "alert could never fire"))
    slo = th["pipeline"]["slo_target"]
    fast = _fast_burn()
    if fast * (1 - slo) >= 1:
        lowest = 1 - 1 / fast
        errors.append(("thresholds.pipeline.slo_target",
                       f"{slo} leaves an error budget of {1 - slo:.4g}; the fastest burn alert "
                       f"({fast:g}x the budget) could never fire: expected more than {lowest:.4g}"))

    # -- `for` not shorter than the evaluation interval ------------------------------------------
    fors = [("storage", "for"), ("storage", "almost_full_for"), ("pipeline", "for"), ("dvr", "for"),
            ("dvr", "disconnected_for"), ("summarizer", "for"), ("platform", "target_down_for")]
    for area, name in fors:
        value = th[area][name]
        if duration_seconds(value) < evaluation:
            errors.append((f"thresholds.{area}.{name}",
                           f"{value} must not be shorter than prometheus.evaluation_interval "
                           f"({prom['evaluation_interval']}): rules are only evaluated that often"))

    # -- windows: longer than both intervals, rate windows at least four scrapes ----------------
    windows = [("thresholds.storage.predict_window", st["predict_window"]),
               ("thresholds.pipeline.for", th["pipeline"]["for"]),
               ("thresholds.pipeline.stalled_for", th["pipeline"]["stalled_for"]),
               ("thresholds.platform.restart_loop_window", th["platform"]["restart_loop_window"]),
               ("thresholds.dvr.no_segments_for", th["dvr"]["no_segments_for"])]
    for path, value in windows:
        secs = duration_seconds(value)
        for other, interval in (("prometheus.scrape_interval", scrape),
                                ("prometheus.evaluation_interval", evaluation)):
            if secs <= interval:
                errors.append((path, f"{value} must be longer than {other} ({prom[other.split('.')[1]]})"))
        if path != "thresholds.dvr.no_segments_for" and scrape < secs < MIN_SCRAPES * scrape:
            errors.append((path, f"{value} must be at least {MIN_SCRAPES} scrape intervals "
                                 f"(prometheus.scrape_interval {prom['scrape_interval']}: "
                                 f"{_fmt(MIN_SCRAPES * scrape)}) for a rate or increase over it"))
    # Windows of stale_periods scheduler or job periods (seconds in the inventory).
    periods = [("thresholds.scheduler.stale_periods", "pipeline.tv_scheduler.period_seconds"),
               ("thresholds.maintenance.stale_periods", "pipeline.cleanup.period_seconds"),
               ("thresholds.maintenance.stale_periods", "pipeline.log_export.period_seconds")]
    for count_key, period_key in periods:
        secs = key(count_key) * key(period_key)
        if secs < MIN_SCRAPES * scrape or secs <= evaluation:
            errors.append((period_key, f"{key(period_key)} x {count_key} ({key(count_key)}) = {_fmt(secs)} must be "
                                       f"at least {MIN_SCRAPES} scrape intervals (prometheus.scrape_interval "
                                       f"{prom['scrape_interval']}) and longer than prometheus.evaluation_interval "
                                       f"({prom['evaluation_interval']}): it is the window of an increase()"))
    return errors
