"""Fleet-wide rules the store's ruler evaluates: per-site rollups the fleet dashboard reads,
the fleet's pipeline SLO, and "site silent".

A site's heartbeat is its own Prometheus's self-scrape `up`, shipped with the site's external
`site` label. The inventory's site list is the expected set, so a site that has never reported,
or stopped an hour ago, is silent as well as one that stopped a minute ago.
"""

from __future__ import annotations

from dashboards._common import UID
from rules._common import number, runbook
from rules.pipeline import PAGE_BURNS, TICKET_BURNS
from vvdash import exprs
from vvdash.inventory import duration_seconds
from vvdash.jobs import JOB, selector
from vvdash.model.rules import Alert, Group, Record

HEARTBEAT = f"up{{{selector('prometheus')}}}"
SITE_REPORTING = "site:vv_fleet_reporting:present"
SITE_BACKLOG = "site:vv_fleet_input_backlog:sum"
SITE_ERROR_RATIO = "site:vv_fleet_videos_failed:ratio_rate5m"
SITE_STORAGE_SECONDS_LEFT = "site:vv_fleet_storage_seconds_left:min"
SITE_DVRS_CONNECTED = "site:vv_fleet_dvrs_connected:sum"
SITE_DVRS = "site:vv_fleet_dvrs:count"
DASHBOARD = UID["fleet"]


def slo_error_ratio(window: str) -> str:
    return f"vv_fleet_videos_failed:ratio_rate{window}"


def expected_sites(inv) -> str:
    """One series per inventory site, value 1, labelled `site` (the set the store should hear from)."""
    return "\nor\n".join(f'label_replace(vector(1), "site", "{s["name"]}", "", "")' for s in inv.sites)


def heard_from(inv, by: str = "site") -> str:
    return f"group by ({by}) (last_over_time({HEARTBEAT}[{inv['fleet']['silent_after']}]))"


def silent_expr(inv) -> str:
    return f"(\n{expected_sites(inv)}\n)\nunless on (site)\n{heard_from(inv)}"


def _videos(status: str = "", window: str = "5m", by: str = "site") -> str:
    sel = selector("orchestrator") + (f', status="{status}"' if status else "")
    return f"sum by ({by}) (rate(vv_videos_processed_total{{{sel}}}[{window}]))"


def _records(inv) -> list[Record]:
    # Per site, keeping the one job each comes from (the dashboard's job variable narrows them).
    heartbeat_job = f'label_replace(\n(\n{expected_sites(inv)}\n), "job", "{JOB["prometheus"]}", "", "")'
    dvrs = f"vv_agent_dvr_connection_status{{{selector('agent_dvr')}}}"
    return [
        Record(SITE_REPORTING, f"{heard_from(inv, 'site, job')}\nor on (site)\n{heartbeat_job} * 0"),
        Record(SITE_BACKLOG, f"sum by (site, job) (vv_videos_in_input_queue{{{selector('orchestrator')}}})"),
        Record(SITE_ERROR_RATIO, f"{_videos('failure', by='site, job')}\n/\n{_videos(by='site, job')}"),
        Record(SITE_STORAGE_SECONDS_LEFT, f"min by (site, job) ({exprs.seconds_until_full(inv)})"),
        Record(SITE_DVRS_CONNECTED, f"sum by (site, job) ({dvrs})"),
        Record(SITE_DVRS, f"count by (site, job) ({dvrs})"),
    ]


def _slo_records() -> list[Record]:
    windows = sorted({w for pair in (*PAGE_BURNS, *TICKET_BURNS) for w in pair[:2]},
                     key=duration_seconds)
    return [Record(slo_error_ratio(w), f"{_videos('failure', w, 'job')}\n/\n{_videos('', w, 'job')}") for w in windows]


def _burn(pairs, budget: float) -> str:
    return "\nor\n".join(
        f"(\n  {slo_error_ratio(long)} > {number(factor * budget)}\nand\n"
        f"  {slo_error_ratio(short)} > {number(factor * budget)}\n)"
        for long, short, factor in pairs)


def _alerts(inv) -> list[Alert]:
    fleet = inv["fleet"]
    target = inv.threshold("pipeline", "slo_target")
    budget = 1 - target
    slo_book = runbook(
        f"Across the fleet, videos fail fast enough to use up the pipeline's error budget (SLO "
        f"{number(target * 100)}% processed successfully, every site together).",
        ["One site failing on most inputs (fleet dashboard: error ratio per site).",
         "A change rolled out to many sites at once (models, schemas, the summarizer backend)."],
        ["Fleet dashboard: the sites with the highest error ratio, then their pipeline dashboards.",
         "What was rolled out to the sites recently."])
    return [
        Alert(
            "VVFleetSiteSilent", silent_expr(inv), "critical",
            "A site's samples stopped arriving in the central store.",
            "No heartbeat from site {{ $labels.site }} has reached the store for "
            f"{fleet['silent_after']}: its WAN link, its Prometheus or its remote write is down. The "
            "site's own Prometheus keeps alerting locally on disk, DVRs and pipeline stalls.",
            DASHBOARD, runbook(
                "The store has heard nothing from the site's Prometheus for a while: the site is "
                "invisible to the fleet (its local alerts still fire at the site, if it runs as a server).",
                ["The site's WAN link is down.", "The site's Prometheus is down or out of memory.",
                 "Remote write failing: authentication, the store refusing samples, a full queue."],
                ["Fleet dashboard: when the site's heartbeat stopped.",
                 "At the site: `prometheus_remote_storage_*` metrics and the Prometheus log.",
                 "Whether other sites behind the same link went silent at the same time."]),
            for_=fleet["silent_for"]),
        Alert("VVFleetErrorBudgetBurn", _burn(PAGE_BURNS, budget), "critical",
              "The fleet burns its pipeline error budget fast.",
              "The fleet's video error ratio is {{ $value | humanizePercentage }} over the long window, "
              "burning the error budget at page speed.", DASHBOARD, slo_book),
        Alert("VVFleetErrorBudgetBurn", _burn(TICKET_BURNS, budget), "warning",
              "The fleet burns its pipeline error budget.",
              "The fleet's video error ratio is {{ $value | humanizePercentage }} over the long window, "
              "burning the error budget at ticket speed.", DASHBOARD, slo_book),
    ]


def groups(inv) -> list[Group]:
    return [Group("vv_fleet_site_records", tuple(_records(inv))),
            Group("vv_fleet_slo_records", tuple(_slo_records())),
            Group("vv_fleet_alerts", tuple(_alerts(inv)))]
