"""The gateway benchmark: the request path under load, beside a bare ASGI "hello" and the search service asked
directly. Run `python -m bench.gateway --help`; results are recorded in docs/benchmarks.md."""
