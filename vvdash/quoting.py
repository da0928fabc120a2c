"""Quoting inventory text for the languages it lands in, so a value stays a value.

The inventory's grammars already refuse what these would have to escape (quotes, backslashes,
braces); quoting here keeps each place safe on its own.
"""

from __future__ import annotations

import re

# RE2 (PromQL `=~`) metacharacters; a backslash before any punctuation is a literal.
_RE2_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal holding exactly `value`."""
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def promql_regex_union(values) -> str:
    """A PromQL string literal for `=~` matching exactly one of `values` (anchored by PromQL)."""
    return promql_string("|".join(_RE2_META.sub(r"\\\1", v) for v in values))


def template_literal(text: str) -> str:
    """Text a Go template (Prometheus annotations, Alertmanager fields) prints as it is."""
    return re.sub(r"(\{\{|\}\})", lambda m: '{{ "' + m.group(1) + '" }}', text)
