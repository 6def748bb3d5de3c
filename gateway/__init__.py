"""The gateway: authentication, authorization, the public REST API and the agent web UI."""
