"""generated/prometheus/tests/<area>.yml: the promtool tests rendered from rules/tests/<area>.py."""

from vvdash.scenarios.render import rule_test_files


def emit(project) -> dict[str, bytes]:
    return rule_test_files(project)
