"""Fleet-wide rules the store's ruler evaluates: per-site rollups the fleet dashboard reads,
the fleet's pipeline SLO, and "site silent".

A site's heartbeat is its own Prometheus's self-scrape `up`, shipped with the site's external
`site` label. The inventory's site list is the expected set, so a site that has never reported,
or stopped an hour ago, is silent as well as one that stopped a minute ago.
"""

from __future__ import annotations

from rules._common import number, runbook
from shared import exprs
from shared.dashboards import uid
from shared.fleet import (
    SITE_BACKLOG, SITE_DVRS, SITE_DVRS_CONNECTED, SITE_ERROR_RATIO, SITE_REPORTING, SITE_STORAGE_SECONDS_LEFT,
    slo_error_ratio,
)
from vvdash.inventory import duration_seconds
from vvdash.jobs import JOB, selector
from vvdash.model.rules import Alert, Group, Record, Severity
from vvdash.slo import PAGE_BURNS, TICKET_BURNS

HEARTBEAT = f"up{{{selector('prometheus')}}}"
DASHBOARD = uid("fleet")


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
        Record(record=SITE_REPORTING, expr=f"{heard_from(inv, 'site, job')}\nor on (site)\n{heartbeat_job} * 0"),
        Record(record=SITE_BACKLOG, expr=f"sum by (site, job) (vv_videos_in_input_queue{{{selector('orchestrator')}}})"),
        Record(record=SITE_ERROR_RATIO, expr=f"{_videos('failure', by='site, job')}\n/\n{_videos(by='site, job')}"),
        Record(record=SITE_STORAGE_SECONDS_LEFT, expr=f"min by (site, job) ({exprs.seconds_until_full(inv)})"),
        Record(record=SITE_DVRS_CONNECTED, expr=f"sum by (site, job) ({dvrs})"),
        Record(record=SITE_DVRS, expr=f"count by (site, job) ({dvrs})"),
    ]


def _slo_records() -> list[Record]:
    windows = sorted({w for pair in (*PAGE_BURNS, *TICKET_BURNS) for w in pair[:2]},
                     key=duration_seconds)
    return [Record(record=slo_error_ratio(w), expr=f"{_videos('failure', w, 'job')}\n/\n{_videos('', w, 'job')}") for w in windows]


def _burn(pairs, budget: float) -> str:
    return "\nor\n".join(
        f"(\n  {slo_error_ratio(long)} > {number(factor * budget)}\nand\n"
        f"  {slo_error_ratio(short)} > {number(factor * budget)}\n)"
        for long, short, factor in pairs)


def _alerts(inv) -> list[Alert]:
    fleet = inv["fleet"]
    target = inv.thresholds("pipeline")("slo_target")
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
            alert="VVFleetSiteSilent", expr=silent_expr(inv), severity=Severity.CRITICAL,
            summary="A site's samples stopped arriving in the central store.",
            description="No heartbeat from site {{ $labels.site }} has reached the store for "
            f"{fleet['silent_after']}: its WAN link, its Prometheus or its remote write is down. The "
            "site's own Prometheus keeps alerting locally on disk, DVRs and pipeline stalls.",
            dashboard=DASHBOARD, runbook=runbook(
                "The store has heard nothing from the site's Prometheus for a while: the site is "
                "invisible to the fleet (its local alerts still fire at the site, if it runs as a server).",
                ["The site's WAN link is down.", "The site's Prometheus is down or out of memory.",
                 "Remote write failing: authentication, the store refusing samples, a full queue."],
                ["Fleet dashboard: when the site's heartbeat stopped.",
                 "At the site: `prometheus_remote_storage_*` metrics and the Prometheus log.",
                 "Whether other sites behind the same link went silent at the same time."]),
            for_=fleet["silent_for"]),
        Alert(alert="VVFleetErrorBudgetBurn", expr=_burn(PAGE_BURNS, budget), severity=Severity.CRITICAL,
              summary="The fleet burns its pipeline error budget fast.",
              description="The fleet's video error ratio is {{ $value | humanizePercentage }} over the long window, "
              "burning the error budget at page speed.", dashboard=DASHBOARD, runbook=slo_book),
        Alert(alert="VVFleetErrorBudgetBurn", expr=_burn(TICKET_BURNS, budget), severity=Severity.WARNING,
              summary="The fleet burns its pipeline error budget.",
              description="The fleet's video error ratio is {{ $value | humanizePercentage }} over the long window, "
              "burning the error budget at ticket speed.", dashboard=DASHBOARD, runbook=slo_book),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_fleet_site_records", rules=tuple(_records(inv))),
            Group(name="vv_fleet_slo_records", rules=tuple(_slo_records())),
            Group(name="vv_fleet_alerts", rules=tuple(_alerts(inv)))]
