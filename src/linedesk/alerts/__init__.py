"""Usage alerts (SPEC R-U4): thresholds crossed at import, sent once per period each."""
