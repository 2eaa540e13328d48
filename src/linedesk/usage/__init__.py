"""Usage: records (CDRs) imported and rated, counters per line and period, alerts, widgets."""
