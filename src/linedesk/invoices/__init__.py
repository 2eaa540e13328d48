"""Invoices for company managers: list, detail, PDF and FatturaPA downloads, sharing (R-M1)."""
