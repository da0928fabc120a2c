"""The part of Prometheus' Go alert templates that annotations use, so a scenario can state the
annotations promtool must render: `{{ $labels.NAME }}`, `{{ $value }}` and `{{ $value | FN }}` with
FN one of humanize, humanize1024, humanizeDuration, humanizePercentage.

Formats follow Prometheus' template package (template.go) and Go's fmt: `%v` of a float is the
shortest representation with an exponent from 1e+06 (or below 1e-04), `%.4g` keeps four digits.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from vvdash.errors import VVError

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def go_float(v: float) -> str:
    """fmt.Sprint of a float64 ('g' with the shortest digits, exponent below -4 or from 6)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign, digits, exponent = Decimal(repr(float(v))).normalize().as_tuple()
    assert isinstance(exponent, int)     # finite numbers only here
    text = "".join(map(str, digits))
    exp = len(text) + exponent - 1          # decimal exponent of the first digit
    neg = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mant = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{neg}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp >= len(text) - 1:
        return neg + text + "0" * (exp - len(text) + 1)
    if exp >= 0:
        return neg + text[:exp + 1] + "." + text[exp + 1:]
    return neg + "0." + "0" * (-exp - 1) + text


def _g4(v: float) -> str:
    """Go's %.4g (the same as C's for finite numbers); NaN and infinities as Go writes them."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return f"{v:.4g}"


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g4(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        total = int(abs(v))
        secs, mins, hours, days = total % 60, total // 60 % 60, total // 3600 % 24, total // 86400
        if days:
            return f"{sign}{days}d {hours}h {mins}m {secs}s"
        if hours:
            return f"{sign}{hours}h {mins}m {secs}s"
        if mins:
            return f"{sign}{mins}m {secs}s"
        return f"{sign}{_g4(abs(v))}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


def humanize_percentage(v: float) -> str:
    return _g4(v * 100) + "%"


FUNCTIONS = {
    "humanize": humanize, "humanize1024": humanize1024, "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
}


def render(template: str, labels: dict, value: float | None, where: str) -> str:
    """An annotation as Prometheus renders it for an alert with these labels and value.

    A label the alert lacks renders empty, as in Prometheus ($labels is a map of strings); an
    action outside the subset above is an error naming the annotation, so a scenario that needs it
    states the annotation itself.
    """
    def action(match: re.Match) -> str:
        body = match.group(1)
        parts = [p.strip() for p in body.split("|")]
        head = parts[0]
        if head.startswith("$labels."):
            out = labels.get(head[len("$labels."):], "")
            if len(parts) > 1:
                raise VVError(f"{where}: template action {{{{ {body} }}}}: only $value takes a function here")
            return out
        if head == "$value":
            if value is None:
                raise VVError(f"{where}: uses $value: the scenario must give the alert's value")
            if len(parts) == 1:
                return go_float(value)
            if len(parts) == 2 and parts[1] in FUNCTIONS:
                return FUNCTIONS[parts[1]](value)
        raise VVError(f"{where}: template action {{{{ {body} }}}} is not one scenarios can render; "
                      "give the expected annotations in the scenario")
    return _ACTION.sub(action, template)
