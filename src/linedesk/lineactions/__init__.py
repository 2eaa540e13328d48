"""Line actions (SPEC §8b, R-L1…R-L6): block, unblock, services, spending caps, SIM and eSIM
replacement, offer changes; each a request delivered to the operator's provisioning system."""
