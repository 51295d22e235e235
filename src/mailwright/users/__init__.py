"""A reseller's end customers: the people a reseller account manages domains and mailboxes for."""
