"""Registering: employees by SMS or e-mail code, user admins on the web portal."""
