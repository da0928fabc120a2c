"""Variables reading several metrics at once (`{__name__=~"a|b"}`) are checked like single ones."""

from __future__ import annotations

import pytest

from vvdash.catalog import load
from vvdash.check.contract import Contract, label_values, substitute_variables


@pytest.fixture
def contract():
    return Contract(load())


def test_labels_every_listed_metric_carries_pass(contract):
    assert contract.check_label_values('label_values({__name__=~"up|push_time_seconds", site=~"$site"}, '
                                       'instance)') == []


def test_a_label_one_of_them_lacks_is_named(contract):
    assert contract.check_label_values(
        'label_values({__name__=~"up|vv_agent_dvr_connection_status"}, camera)') == [
        "label 'camera' is not on up|vv_agent_dvr_connection_status"]


def test_an_unknown_name_in_the_list_is_named(contract):
    assert contract.check_label_values('label_values({__name__=~"up|vv_nope"}, job)') == [
        "unknown metric vv_nope (not in the catalog, not a recording rule)"]


def test_a_regex_that_is_not_a_list_of_names_cannot_be_checked(contract):
    assert contract.check_label_values('label_values({__name__=~"vv_.*"}, job)') == [
        "selector without a metric name cannot be checked"]


def test_one_substitution_and_one_label_values_parser():
    assert substitute_variables('rate(x{job=~"$job", i=~"${instance:regex}"}[$__rate_interval]) * $__range_s',
                                rate_interval="7m") == \
        'rate(x{job=~"vvdash_var_job", i=~"vvdash_var_instance"}[7m]) * 300'
    assert label_values('label_values(up{site=~"$site"}, instance)') == ('up{site=~"$site"}', "instance")
    assert label_values("label_values(instance)") is None
