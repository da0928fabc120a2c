"""Inhibition cases checked against the generated inhibit_rules, with Alertmanager's semantics.

A target alert is muted when some firing source alert matches an inhibit rule's
source_matchers, the target matches its target_matchers, and both carry the same values
for every label in `equal` (a label missing on both counts as equal).
"""

from __future__ import annotations

import re

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def parse_matcher(text: str):
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(f"not a matcher: {text!r}")
    name, op, value = m.group(1), m.group(2), bytes(m.group(3), "utf-8").decode("unicode_escape")
    return name, op, value


def matches(matchers: list[str], labels: dict) -> bool:
    for text in matchers:
        name, op, value = parse_matcher(text)
        have = str(labels.get(name, ""))
        ok = {"=": have == value, "!=": have != value,
              "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    return True


def inhibited(rules: list[dict], source: dict, target: dict) -> bool:
    for rule in rules:
        if (matches(rule.get("source_matchers", []), source)
                and matches(rule.get("target_matchers", []), target)
                and all(source.get(label, "") == target.get(label, "") for label in rule.get("equal", []))
                and source != target):
            return True
    return False
