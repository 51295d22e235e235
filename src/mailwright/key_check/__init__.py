"""The secret key check: every process on one database must hold the key its secrets were
encrypted with, and one that does not refuses to start (README: Workers and queues)."""
