"""Operating the service: logs, request ids, health, metrics."""
