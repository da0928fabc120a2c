"""Rules for the central store's ruler (a fleet inventory only; not loaded into a site's Prometheus)."""
