"""Identity: partners, customer orgs, users, devices, orders and roles, and the events that carry them."""
