"""The read side of usage: counters, usage detail, widgets and the pages that show them."""
