"""`vvdash lint`: every offline check of what the current definitions produce.

The build is rendered into a temporary folder and the real promtool and amtool check it
there, so lint judges the definitions, not a possibly stale generated/.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vvdash.findings import Finding


@dataclass
class StepResult:
    step: str
    issues: list[Finding] = field(default_factory=list)
    skipped: str = ""       # why the step did not run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.issues
