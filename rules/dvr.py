"""DVR capture: disconnected, flapping, connection errors, connected without segments, probe failing or slow."""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts, number, seconds
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import dvr_connected, dvr_connection_errors_per_minute, seconds_since_segment
from vvdash.inventory import duration_seconds
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity

alert = AlertTexts(__name__)


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("dvr")
    agent = selector("agent_dvr")
    probe = selector("blackbox_exporter")
    dash = dashboard_uid("tv_dvr")
    no_seg = t("no_segments_for")
    return [
        alert(alert="VVDvrDisconnected", severity=Severity.CRITICAL, for_=t("disconnected_for"), dashboard=dash,
              expr=f"{dvr_connected()} == 0",
              values={"disconnected_for": t('disconnected_for')}),
        alert(alert="VVDvrFlapping", severity=Severity.WARNING, dashboard=dash,
              expr=f"max by (site, job, dvr) (changes(vv_agent_dvr_connection_status{{{agent}}}[{t('flap_window')}])) "
                   f">= {t('flap_changes')}",
              values={"flap_window": t('flap_window')}),
        alert(alert="VVDvrConnectionErrors", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{dvr_connection_errors_per_minute()} > {number(t('connection_errors_per_minute'))}"),
        alert(alert="VVDvrNoSegments", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{seconds_since_segment()} > {seconds(duration_seconds(no_seg))}\n"
                   f"and on (site, job, dvr)\n{dvr_connected()} == 1"),
        alert(alert="VVDvrProbeFailing", severity=Severity.WARNING, for_=t("disconnected_for"), dashboard=dash,
              expr=f"probe_success{{{probe}}} == 0",
              values={"disconnected_for": t('disconnected_for')}),
        alert(alert="VVDvrProbeSlow", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"probe_duration_seconds{{{probe}}} > {number(t('probe_slow_seconds'))}"),
    ]


def _records() -> list[Record]:
    sel = selector("agent_dvr")
    return [Record(record=R.DVR_CONNECT_BUCKET_RATE,
                   expr=f"sum by (site, job, dvr, le) (rate(vv_agent_dvr_connect_duration_seconds_bucket{{{sel}}}"
                   f"[{RATE_WINDOW}]))")]


def groups(inv) -> list[Group]:
    return [Group(name="vv_dvr_records", rules=tuple(_records())), Group(name="vv_dvr_alerts", rules=tuple(_alerts(inv)))]
