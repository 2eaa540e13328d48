"""Messages that are never lost: the outbox, its workers, channels and templates."""
