"""`vvdash lint`: every offline check of what the current definitions produce.

The build is rendered into a temporary folder and the real promtool and amtool check it
there, so lint judges the definitions, not a possibly stale generated/.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    where: str              # file, rule, route case... the thing to fix
    message: str
    file: str = ""          # repository-relative file, for workflow annotations
    detail: str = ""        # longer tool output (JUnit body)


@dataclass
class StepResult:
    step: str
    issues: list[Issue] = field(default_factory=list)
    skipped: str = ""       # why the step did not run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.issues
