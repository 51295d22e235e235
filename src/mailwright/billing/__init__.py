"""Billing over time: mailbox subscriptions (one per domain workspace, monthly), domain
registrations (yearly), renewals run by a durable schedule, cancellation and removal."""
