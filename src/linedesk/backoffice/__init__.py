"""The operator's back office: API keys for staff tools."""
