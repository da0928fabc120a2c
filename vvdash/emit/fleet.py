"""generated/fleet/ and generated/kubernetes/: only for an inventory with a `fleet` section
(vvdash/fleet/); without one this emitter writes nothing, so the single-site build is unchanged."""

from __future__ import annotations

from vvdash.fleet import central, configured, kubernetes, rule_tests, site_config


def emit(project) -> dict[str, bytes]:
    if not configured(project.inventory):
        return {}
    return {**site_config.render(project), **central.render(project),
            rule_tests.TESTS_PATH: rule_tests.render_tests(project.inventory), **kubernetes.render(project)}
