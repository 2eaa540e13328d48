"""Spending trend of a company's lines (SPEC R-M4)."""
