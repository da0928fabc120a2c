"""`vvdash preview`: the generated dashboards drawn in a browser from a live Prometheus.

The server reads generated/dashboards/*.json (what `vvdash upload` sends), serves them at
/d/<uid>/<slug> as Grafana does, and answers the page's queries by asking Prometheus, with
the variables and interval macros filled in the way Grafana's Prometheus data source does.
"""
