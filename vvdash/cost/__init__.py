"""What a dashboard costs Prometheus: panel queries expanded as Grafana sends them, fleet-shaped
series backfilled into real TSDB blocks, and the server time and samples each query takes.
"""
