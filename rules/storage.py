"""Storage: disk exhaustion prediction, almost full, storage series missing, abnormal subfolder growth."""

from __future__ import annotations

from rules._common import AlertTexts, number
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import (
    predicted_free_bytes, seconds_until_full, storage_filling_up, storage_free_ratio, storage_selector,
    storage_series_missing,
)
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity
from vvdash.rule_windows import GROWTH_WINDOW

alert = AlertTexts(__name__)



def _records(inv) -> list[Record]:
    sel = selector("storage_exporter")
    t = inv.thresholds("storage")
    # The disk-exhaustion prediction the storage dashboard draws over days: a fit over
    # storage.predict_window at every step would read the whole window again per step.
    horizons = dict.fromkeys((t("fill_warning_horizon"), t("fill_critical_horizon")))
    return [Record(record=R.FOLDER_GROWTH,
                   expr=f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[{GROWTH_WINDOW}]))"),
            *[Record(record=R.STORAGE_PREDICTED_FREE, expr=predicted_free_bytes(inv, h), labels={"horizon": h}) for h in horizons],
            Record(record=R.STORAGE_SECONDS_UNTIL_FULL, expr=seconds_until_full(inv))]


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("storage")
    dash = dashboard_uid("storage")
    fill = []
    # The early warning has the longer horizon and the higher floor (node-mixin: 40 % and 15 %).
    for severity, key, floor in ((Severity.WARNING, "fill_warning_horizon", "fill_warning_free_ratio"),
                                 (Severity.CRITICAL, "fill_critical_horizon", "fill_free_floor_ratio")):
        fill.append(alert(alert="VVStorageFillingUp", severity=severity, for_=t("for"), dashboard=dash,
                          expr=storage_filling_up(inv, t(key), floor),
                          values={"horizon": t(key)}))
    sel = storage_selector(inv)
    return [
        *fill,
        alert(alert="VVStorageAlmostFull", severity=Severity.CRITICAL, for_=t("almost_full_for"), dashboard=dash,
              expr=f"(\n  {storage_free_ratio(inv)} < {number(t('almost_full_free_ratio'))}\nand\n"
                   f"  node_filesystem_readonly{{{sel}}} == 0\n)"),
        alert(alert="VVStorageSeriesMissing", severity=Severity.WARNING, for_=t("missing_for"), dashboard=dash,
              expr=storage_series_missing(inv)),
        alert(alert="VVStorageFolderGrowing", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{R.FOLDER_GROWTH} * 3600 > {number(t('subfolder_growth_bytes_per_hour'))}"),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_storage_records", rules=tuple(_records(inv))), Group(name="vv_storage_alerts", rules=tuple(_alerts(inv)))]
