"""Payments of invoices and their due dates (SPEC R-M2)."""
