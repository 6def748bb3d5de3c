"""The search benchmark: the read model's engines compared on one generated dataset, and the service measured on
the real Kafka and over HTTP. Run `python -m bench.search --help`; results are recorded in docs/benchmarks.md."""
