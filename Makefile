.PHONY: run test infra-up infra-down

run:   ## the product, embedded and seeded, at http://127.0.0.1:8000
	scripts/run.sh

test:  ## every check and test, starting the local Kafka and FerretDB
	scripts/test.sh

infra-up:
	deploy/local/infra.sh up

infra-down:
	deploy/local/infra.sh down
