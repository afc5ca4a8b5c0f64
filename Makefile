# The two commands of the README: `make run` and `make test`. Both install what is missing first.
.PHONY: run test setup-run setup-test

# Starts the service (HTTP API on 127.0.0.1:8080, embedded SQLite in data/) with demo CRM data and logins.
run: setup-run
	./target/release/fieldvoice serve --demo

# The whole suite: unit, integration (real Whisper tiny.en, SQLite and PostgreSQL), corpus.
test: setup-test
	scripts/pg.sh
	python3 tests/corpus/check.py
	cargo test --release --locked

setup-run:
	scripts/setup.sh base

setup-test:
	scripts/setup.sh --test tiny.en
