"""What dashboards/ and rules/ share: dashboard uids, recording-rule names, and the PromQL of each
number that a panel shows and an alert judges, so both read one expression.

This package imports vvdash (the toolkit) and nothing of dashboards/ or rules/; they import it and
never each other.
"""
