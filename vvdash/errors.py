"""Errors that end a command with one clear line.

Exit codes are shared by every command: 0 ok, 1 findings/stale, 2 invalid input
or could not run.
"""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INVALID = 2


class VVError(Exception):
    """A user-facing error: printed as one line, exit code 2 unless told otherwise."""

    def __init__(self, message: str, exit_code: int = EXIT_INVALID):
        super().__init__(message)
        self.exit_code = exit_code


class DefinitionError(VVError):
    """A definition in dashboards/ or rules/ that cannot be built (it names the rule or panel);
    the loader (vvdash/definitions.py) prefixes the module's path."""
