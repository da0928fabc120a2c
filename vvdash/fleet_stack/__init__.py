"""A fleet running on this machine (`vvdash fleet up|down|status`): the store, the central
Alertmanager cluster and simulated sites on 127.0.0.1, configured from what vvdash/fleet/ renders.

- runtime: starts, attaches to and stops the processes;
- sim_exporter: the simulated sites' exporters;
- checks: what a running fleet must show (the end-to-end tests and the benchmark ask it).
"""
