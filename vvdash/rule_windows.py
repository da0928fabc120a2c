"""Windows fixed in the rules rather than set in the inventory: the rules are built on them, and
the inventory check makes sure the scrape interval fits them."""

RATE_WINDOW = "5m"        # of every rate the recording rules and rate alerts take
GROWTH_WINDOW = "1h"      # of the folder growth record (its name says 1h)
