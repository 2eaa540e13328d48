"""Link SIM (Associa SIM): follow up to two more lines of the same VAT number."""
