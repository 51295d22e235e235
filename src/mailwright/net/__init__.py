"""Network access on behalf of customers: see outbound.py."""
