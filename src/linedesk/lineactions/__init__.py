"""Line actions (SPEC §8b): block, replace, services, spending caps, offer changes, bulk."""
