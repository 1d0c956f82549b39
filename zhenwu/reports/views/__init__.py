"""Report views, one module per page family: home, dashboard, ledgers, briefings."""
