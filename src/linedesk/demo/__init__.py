"""Demo data: deterministic for a seed, from a handful of lines to benchmark sizes."""
