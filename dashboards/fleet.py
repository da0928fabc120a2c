"""VV / Fleet: every site's health on one screen, from the store's per-site rollups
(rules/central/fleet.py). Only for an inventory with a `fleet` section.

Each row of the sites table opens that site's own dashboards (the `site` variable set to it).
"""

from dashboards._common import (
    Scope, above, below, build, jobs, q, row, stat, state_timeline, table, timeseries, value_map,
)
from shared import fleet as F
from shared.dashboards import uid
from vvdash.fleet import configured
from vvdash.inventory import duration_seconds
from vvdash.jobs import selector
from vvdash.model.dashboards import Panel, Target, Unit

SITE_VAR = 'site=~"$site", job=~"$job"'
# The job each rollup keeps (rules/central/fleet.py), matched by name as well as by the variable.
ROLLUP_COMPONENT = {F.SITE_REPORTING: "prometheus", F.SITE_BACKLOG: "orchestrator", F.SITE_ERROR_RATIO: "orchestrator",
                    F.SITE_STORAGE_SECONDS_LEFT: "node_exporter", F.SITE_DVRS_CONNECTED: "agent_dvr",
                    F.SITE_DVRS: "agent_dvr"}


def rollup(record: str) -> str:
    return f"{record}{{{SITE_VAR}, {selector(ROLLUP_COMPONENT[record])}}}"
REPORTING = value_map({0: ("Silent", "red"), 1: ("Reporting", "green")})
# Where a site's row leads: its overview first, then the details the table's numbers come from.
SITE_DASHBOARDS = ("overview", "pipeline", "storage", "tv_dvr")


def _site_links() -> list[dict]:
    return [{"title": f"Site ${{__data.fields.site}}: {uid(key)}", "targetBlank": False,
             "url": f"/d/{uid(key)}?var-site=${{__data.fields.site}}&${{__url_time_range}}"}
            for key in SITE_DASHBOARDS]


def _sites_table(inv) -> Panel:
    pipe = inv.thresholds("pipeline")
    storage = inv.thresholds("storage")
    columns = [  # (record, column title, unit, thresholds)
        (F.SITE_REPORTING, "Reporting", Unit.NONE, below(1)),
        (F.SITE_BACKLOG, "Input backlog", Unit.SHORT, above(pipe("queue_backlog") / 2, pipe("queue_backlog"))),
        (F.SITE_ERROR_RATIO, "Error ratio", Unit.PERCENT_UNIT,
         above(pipe("stage_error_ratio") / 2, pipe("stage_error_ratio"))),
        (F.SITE_STORAGE_SECONDS_LEFT, "Storage time left", Unit.SECONDS,
         below(duration_seconds(storage("fill_critical_horizon")), duration_seconds(storage("fill_warning_horizon")))),
        (F.SITE_DVRS_CONNECTED, "DVRs connected", Unit.SHORT, None),
        (F.SITE_DVRS, "DVRs", Unit.SHORT, None),
    ]
    # Each column's query is refId A, B, ... in order (vvdash.model.dashboards.Panel), its value "Value #A", ...
    # By site alone: Grafana's merge joins rows on the fields every query has, and each rollup keeps its own job.
    targets: list[Target] = [q(f"max by (site) ({rollup(record)})", instant=True, fmt="table")
                             for record, *_rest in columns]
    panel = table("Sites",
                  "One row per site, from the store: whether its samples arrive (Silent once nothing came for "
                  "fleet.silent_after), the videos waiting in input/, the share of videos failing over 5 minutes, "
                  "the time until its storage is full at the current fill rate (empty while not filling), and its "
                  "DVRs connected. Thresholds are the alerts' own. Click a row to open the site's dashboards.",
                  Unit.NONE, targets, exclude=("Time",), w=24, h=10, sort_by="Reporting")
    panel.transformations.insert(0, {"id": "merge", "options": {}})
    panel.transformations[-1]["options"]["renameByName"] = {
        f"Value #{chr(65 + i)}": title for i, (_, title, *_r) in enumerate(columns)}
    # Overrides match a field's display name, which the rename above has made the column title.
    for i, (_, title, unit, thresholds) in enumerate(columns):
        props: list[dict] = [{"id": "unit", "value": str(unit)}]
        if thresholds:
            props += [{"id": "thresholds", "value": thresholds},
                      {"id": "custom.cellOptions", "value": {"type": "color-background"}}]
        if i == 0:
            props.append({"id": "mappings", "value": REPORTING})
        panel.overrides.append({"matcher": {"id": "byName", "options": title},
                                "properties": props})
    panel.defaults["links"] = _site_links()
    return panel


def _panels(inv) -> list:
    sites = len(inv.sites)
    pipe = inv.thresholds("pipeline")
    return [
        row("Fleet"),
        stat("Sites reporting",
             f"Sites whose samples reached the store within fleet.silent_after, out of the {sites} in the inventory.",
             Unit.SHORT, [q(f"sum({rollup(F.SITE_REPORTING)})", instant=True)], thresholds=below(sites), w=6),
        stat("Sites silent",
             "Sites nothing arrived from for fleet.silent_after (VVFleetSiteSilent fires after fleet.silent_for).",
             Unit.SHORT, [q(f"count({rollup(F.SITE_REPORTING)} == 0) or vector(0)", instant=True)],
             thresholds=above(None, 1), w=6),
        stat("Fleet error ratio",
             "Share of videos failing across every site over the last 5 minutes (the fleet SLO's fastest window). "
             "Red at pipeline.stage_error_ratio.", Unit.PERCENT_UNIT,
             [q(f'{F.slo_error_ratio("5m")}{{job=~"$job", {selector("orchestrator")}}}', instant=True)],
             thresholds=above(pipe("stage_error_ratio") / 2,
                              pipe("stage_error_ratio")), w=6),
        stat("DVRs connected",
             "DVRs connected across the selected sites, out of those their agents know.", Unit.SHORT,
             [q(f"sum({rollup(F.SITE_DVRS_CONNECTED)})", instant=True)], thresholds=below(1), w=6),
        _sites_table(inv),
        row("Over time"),
        state_timeline("Sites reporting over time",
                       "1 while the site's samples arrive in the store, 0 while it is silent.", Unit.NONE,
                       [q(rollup(F.SITE_REPORTING), "{{site}}")], mappings=REPORTING, h=8),
        timeseries("Input backlog per site", "Videos waiting in input/, per site.", Unit.SHORT,
                   [q(rollup(F.SITE_BACKLOG), "{{site}}")],
                   thresholds=above(pipe("queue_backlog") / 2,
                                    pipe("queue_backlog")), threshold_lines=True, w=12),
        timeseries("Error ratio per site", "Share of videos failing over 5 minutes, per site.", Unit.PERCENT_UNIT,
                   [q(rollup(F.SITE_ERROR_RATIO), "{{site}}")],
                   thresholds=above(pipe("stage_error_ratio") / 2,
                                    pipe("stage_error_ratio")), threshold_lines=True, w=12),
    ]


def dashboard(inv):
    if not configured(inv):
        return None
    sc = Scope(jobs=jobs("prometheus", "orchestrator", "node_exporter", "agent_dvr"))
    return build(inv, module=__name__, title="VV / Fleet",
                 description="Every site at once, from the central store: reporting or silent, backlog, error "
                             "ratio, storage time left, DVRs; each site's row opens its own dashboards.",
                 tags=("fleet",), scope=sc, panels=_panels(inv))
