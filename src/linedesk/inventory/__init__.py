"""The company's inventory (consistenza): companies, billing accounts, offers, lines, SIMs."""
