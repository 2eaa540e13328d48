"""Notifications to company managers (SPEC R-M3)."""
