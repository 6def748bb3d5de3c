"""Plumbing written once and used by every service: settings, logs, bus, storage, HTTP basics."""
