"""Mailwright: sells and provisions cold-email infrastructure (domains, DNS, mailboxes)."""

__version__ = "0.1.0"
