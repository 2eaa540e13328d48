"""The server-rendered web app: layout, language, locale-aware formatting, static files."""
