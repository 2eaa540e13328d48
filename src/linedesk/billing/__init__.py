"""Billing: the monthly run, invoices and their FatturaPA XML (SPEC R-M1)."""
