"""Protocol-faithful fake servers for external services, bound to 127.0.0.1 (tests and benches only)."""
