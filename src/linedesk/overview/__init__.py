"""The manager's home: the company at a glance, composed of the other domains' figures."""
