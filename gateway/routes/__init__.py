"""The public REST API, one module per area, each exposing the `router` that gateway/app.py mounts."""
