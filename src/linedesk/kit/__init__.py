"""Small shared helpers: money, phone numbers, VAT, pagination, time, CSV, secrets."""
