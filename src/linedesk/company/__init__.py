"""The company's data for its managers (SPEC R-M5)."""
