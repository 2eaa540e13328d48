"""Company managers: a user admin creates, lists and removes telco managers (R-A5)."""
