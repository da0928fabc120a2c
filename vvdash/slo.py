"""Multi-window multi-burn-rate pairs for SLO alerts (long window, short window, burn factor), as in
the SRE workbook: rules/ alert on them, and the inventory check makes sure the fast pair's windows
hold enough scrapes."""

PAGE_BURNS = (("1h", "5m", 14.4), ("6h", "30m", 6))
TICKET_BURNS = (("1d", "2h", 3), ("3d", "6h", 1))
