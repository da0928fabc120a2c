"""Dashboard template variables in a query, replaced the way Grafana's Prometheus data source
does: a single-value variable is escaped for a PromQL string; a multi-value or All variable
becomes a regex alternation `(a|b)` of its values, each regex-escaped (inside a PromQL
string, so the backslashes are doubled). All without a custom value means every option."""

from __future__ import annotations

import re

_REF = re.compile(r"\$\{([A-Za-z0-9_]+)(?::([A-Za-z]+))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)\]\]")
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|]")


def regular_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def regex_escape(value: str) -> str:
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))


def format_value(values: list[str], regex: bool) -> str:
    if not regex:
        return regular_escape(values[0] if values else "")
    escaped = [regex_escape(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(expr: str, variables: dict[str, dict]) -> str:
    """`variables`: name -> {"values": [...], "regex": multi-or-All, "raw": custom All value}. Built-ins ($__...) and
    unknown names are left for the caller (the interval macros come after)."""
    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(3) or m.group(4)
        var = variables.get(name)
        if var is None:
            return m.group(0)
        if var.get("raw"):          # a custom All value goes in as written
            return str((var.get("values") or [""])[0])
        return format_value([str(v) for v in var.get("values", [])], bool(var.get("regex")))
    return _REF.sub(repl, expr)
