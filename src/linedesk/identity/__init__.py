"""Who is signed in: users, passwords, sessions and tokens, one-time codes."""
