"""Rule-test scenarios written once in Python, valued from the inventory in use.

A module rules/tests/<area>.py defines `scenarios(ctx) -> list[Scenario]`; it tests the rule
file generated from rules/<area>.py (or the modules named in its RULE_FILES). For each site of
the inventory the scenarios are rendered into one promtool test file,
generated/prometheus/tests/<area>.yml, which `vvdash lint` runs on every Prometheus generation.
Hand-written promtool files in rules/tests/*.yml stay possible for special cases; the coverage
check counts both kinds.

How to add a scenario
---------------------
1. Read every threshold and window from the inventory: `ctx.value("thresholds.dvr.for")`,
   `ctx.seconds(...)` for durations. Never write a shipped value into a scenario.
2. Build input series as functions of time: `Series(metric, ctx.labels("agent_dvr", dvr=...),
   counter(per_second) | gauge(v) | steps((t, v), ...) | ramp(...) | lambda t: ...)`. A value
   of None is no sample (absent data).
3. Place checks on rule evaluations with the clock: `ctx.clock.sample_after(t)` (when a change
   shows), `ctx.clock.eval_after(t)`, `ctx.clock.fires_at(true_from, for_)` (first firing
   evaluation of an alert true from `true_from`), then `quiet(at, alert)` and
   `fires(at, alert, Firing(labels, value))`. The annotations are rendered from the rule's own
   templates with those labels and that value. For rates and increases use
   `promql.rate/increase/delta(series, ctx.clock, at, window)`; `promql.first_eval(clock, pred)`
   finds the evaluation an expression first holds.
4. Give each alert a firing case just over its threshold and a near miss just under
   (`just_over`/`just_under`), the `for` edge (quiet one evaluation before firing), window edges
   where a window is involved, and absent data. Recording rules get `ExprCheck`s.
5. Name the inventory keys used in `Scenario(keys=...)`: the test's name shows them with their
   values, so a failure explains itself.

Shapes several areas share (a 0/1 state held for a `for`, time since a last success, any
increase within a window) are in rules/tests/_patterns.py. A module may set TIMESCALES
({name: evaluation interval or a function of the inventory}) to render scenarios spanning days
on a clock of their own into <module>_<name>.yml (ctx.timescale tells which), and WINDOWS(inv,
timescale) to name the windows those scenarios exercise. A module may set STEADY(inv) (the
shortest `for` or window its steady scenarios wait through): scenarios marked steady=True (one
verdict once that has passed, no edge among their checks) then run on about a dozen evaluations
over it, in <module>_steady.yml, as promtool evaluates every rule of the file at every evaluation. Scenarios that cannot see each other's
series (neither feeds a metric the other's checks read) share one promtool test group, its name
joining theirs with " || "; lint reports a failure under the scenario it belongs to.

The clock keeps every sample off every window edge (samples sit half a grid step off the
evaluations), so a scenario means the same on Prometheus 2 (closed windows) and 3 (left-open).
"""

from vvdash.scenarios import promql
from vvdash.scenarios.model import (AlertCheck, Clock, ExprCheck, Firing, Scenario, Series, clear, close, counter, duration,
                                    fires, gauge, just_over, just_under, quiet, ramp, seconds, steps)

__all__ = ["AlertCheck", "Clock", "ExprCheck", "Firing", "Scenario", "Series", "clear", "close", "counter", "duration", "fires",
           "gauge", "just_over", "just_under", "promql", "quiet", "ramp", "seconds", "steps"]
