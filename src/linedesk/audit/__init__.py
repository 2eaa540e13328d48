"""The audit log: sign-ins, failures, resets, links and manager actions, per company."""
