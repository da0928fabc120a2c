"""Ship: push generated dashboards to a running Grafana over its HTTP API.

setup.py       the flags upload and diff share; inventory + flags -> client and dashboard list
connection.py  where the URL, credential, TLS and timeouts come from (flags, environment, inventory)
client.py      one HTTP call per Grafana endpoint, with bounded retries and errors that name the call
store.py       the dashboards in Grafana: resource API (12+, found by GET /apis) or legacy API, one interface
folders.py     vvdash's folder, nested levels created one by one (grafana.folder "VV/Site A")
local.py       the dashboards in generated/dashboards/ as vvdash will send them (managed-by tag, upload record)
sync.py        upload: health, folders, optional datasource, each dashboard, prune; the per-run result
changes.py     unified diff of Grafana's copy against the local one
diff.py        `vvdash diff`: that diff for every dashboard
report.py      progress lines and the summary table
"""
