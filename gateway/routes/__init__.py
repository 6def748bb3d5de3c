"""The public REST API, one module per area; each module exposes `router`."""
