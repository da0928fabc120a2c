"""Ship: push generated dashboards to a running Grafana over its HTTP API.

setup.py       the flags upload and diff share; inventory + flags -> client and dashboard list
connection.py  where the URL, credential, TLS and timeouts come from (flags, environment, inventory)
client.py      one HTTP call per Grafana endpoint, with bounded retries and errors that name the call
local.py       the dashboards in generated/dashboards/ as vvdash will send them (managed-by tag added)
sync.py        upload: health, folder, optional datasource, each dashboard, prune; the per-run result
diff.py        unified diffs of Grafana's copy against the local one
report.py      progress lines and the summary table
"""
