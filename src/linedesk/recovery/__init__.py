"""Password recovery (Recupera password): a code, then a generated one-time password."""
