"""Faults under load (`python bench/faults`): rig, load, scenario, checks, report."""
