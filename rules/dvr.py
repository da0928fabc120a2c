"""DVR capture: disconnected, flapping, connection errors, connected without segments, probe failing or slow."""

from __future__ import annotations

from rules._common import RATE_WINDOW, number, runbook, seconds
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import dvr_connected, dvr_connection_errors_per_minute, seconds_since_segment
from vvdash.inventory import duration_seconds
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("dvr")
    agent = selector("agent_dvr")
    probe = selector("blackbox_exporter")
    dash = dashboard_uid("tv_dvr")
    no_seg = t("no_segments_for")
    return [
        Alert(
            alert="VVDvrDisconnected",
            expr=f"{dvr_connected()} == 0",
            severity=Severity.CRITICAL, summary="The DVR agent lost its connection to a DVR.",
            description="agent_dvr at site {{ $labels.site }} has not been connected to DVR {{ $labels.dvr }} "
            f"for more than {t('disconnected_for')}.",
            dashboard=dash, runbook=runbook(
                "agent_dvr reports no connection to the DVR, so no new video arrives from it.",
                ["The DVR powered off or rebooting.", "Network between the host and the DVR.",
                 "Wrong address, port or path in vvdash.yaml."],
                ["TV scheduler and DVR dashboard: connection state over time and errors.",
                 "VVDvrProbeFailing for the same DVR (network reachability).", "agent_dvr log."]),
            for_=t("disconnected_for")),
        Alert(
            alert="VVDvrFlapping",
            # Each drop and each recovery is one change; a flapping DVR is down too briefly for
            # VVDvrDisconnected's `for` but keeps dropping.
            expr=f"max by (site, job, dvr) (changes(vv_agent_dvr_connection_status{{{agent}}}[{t('flap_window')}])) "
            f">= {t('flap_changes')}",
            severity=Severity.WARNING, summary="The DVR connection keeps dropping and coming back.",
            description="agent_dvr at site {{ $labels.site }} saw the connection to DVR {{ $labels.dvr }} change state "
            f"{{{{ $value }}}} times in the last {t('flap_window')}.",
            dashboard=dash, runbook=runbook(
                "The connection to the DVR drops and recovers again and again, each outage shorter than "
                "VVDvrDisconnected waits for; video is lost during every outage.",
                ["A failing cable, switch port or Wi-Fi link.", "The DVR rebooting in a loop (power, firmware).",
                 "The DVR dropping clients under load."],
                ["TV scheduler and DVR dashboard: connection state over time.",
                 "VVDvrProbeFailing and probe latency for the same DVR.", "agent_dvr log: disconnect reasons."])),
        Alert(
            alert="VVDvrConnectionErrors",
            expr=f"{dvr_connection_errors_per_minute()} > {number(t('connection_errors_per_minute'))}",
            severity=Severity.WARNING, summary="The DVR connection keeps failing.",
            description="agent_dvr at site {{ $labels.site }} sees {{ $value | humanize }} connection errors per minute "
            "to DVR {{ $labels.dvr }}.",
            dashboard=dash, runbook=runbook(
                "Connections to the DVR fail or drop repeatedly.",
                ["An unstable network link.", "The DVR refusing extra clients.", "Stream format changes."],
                ["TV scheduler and DVR dashboard: connection errors and connect latency.",
                 "agent_dvr log for the error.", "The DVR's own status page."]),
            for_=t("for")),
        Alert(
            alert="VVDvrNoSegments",
            # A zero timestamp means no segment and no connection yet: not a stall to report.
            expr=f"{seconds_since_segment()} > {seconds(duration_seconds(no_seg))}\n"
            f"and on (site, job, dvr)\n{dvr_connected()} == 1",
            severity=Severity.WARNING, summary="A connected DVR is producing no video segments.",
            description="agent_dvr at site {{ $labels.site }} is connected to DVR {{ $labels.dvr }} but wrote its last "
            "segment {{ $value | humanizeDuration }} ago.",
            dashboard=dash, runbook=runbook(
                "The agent holds a connection but writes no segments to input/.",
                ["The stream delivers no frames (camera covered, encoder stuck).",
                 "input/ not writable or the disk full.", "The agent's segment writer hung."],
                ["TV scheduler and DVR dashboard: frames captured and segments created.",
                 "Free space and permissions of input/.", "agent_dvr log."]),
            for_=t("for")),
        Alert(
            alert="VVDvrProbeFailing",
            expr=f"probe_success{{{probe}}} == 0",
            severity=Severity.WARNING, summary="The DVR does not answer its probe.",
            description="The {{ $labels.job }} probe of DVR {{ $labels.dvr }} at site {{ $labels.site }} has been failing "
            f"for more than {t('disconnected_for')}.",
            dashboard=dash, runbook=runbook(
                "blackbox_exporter cannot reach the DVR's stream endpoint.",
                ["The DVR down or its address changed.", "A firewall between the host and the DVR."],
                ["TV scheduler and DVR dashboard: probe latency.", "Reach the DVR by hand from the host.",
                 "The DVR entry in vvdash.yaml (address, port, probe)."]),
            for_=t("disconnected_for")),
        Alert(
            alert="VVDvrProbeSlow",
            expr=f"probe_duration_seconds{{{probe}}} > {number(t('probe_slow_seconds'))}",
            severity=Severity.WARNING, summary="The DVR answers its probe slowly.",
            description="The {{ $labels.job }} probe of DVR {{ $labels.dvr }} at site {{ $labels.site }} takes "
            "{{ $value | humanizeDuration }}.",
            dashboard=dash, runbook=runbook(
                "The DVR responds, but slower than the threshold; streams may stall.",
                ["Network congestion.", "The DVR overloaded by other clients."],
                ["TV scheduler and DVR dashboard: probe latency over time.", "Network usage on the host dashboard."]),
            for_=t("for")),
    ]


def _records() -> list[Record]:
    sel = selector("agent_dvr")
    return [Record(record=R.DVR_CONNECT_BUCKET_RATE,
                   expr=f"sum by (site, job, dvr, le) (rate(vv_agent_dvr_connect_duration_seconds_bucket{{{sel}}}"
                   f"[{RATE_WINDOW}]))")]


def groups(inv) -> list[Group]:
    return [Group(name="vv_dvr_records", rules=tuple(_records())), Group(name="vv_dvr_alerts", rules=tuple(_alerts(inv)))]
