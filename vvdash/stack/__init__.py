"""The local stack: the pipeline, its exporters, Prometheus and Alertmanager as plain processes.

`vvdash stack up|down|status` and `vvdash demo` drive it. Everything lives in one working
folder (default .stack/): the stack's own inventory (free ports, short intervals), the
configs rendered from it, data, logs, the notifications file and the pid file.
"""
