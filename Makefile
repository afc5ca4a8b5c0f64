# The two commands of the README: `make run` and `make test`. Both install what is missing first.
.PHONY: run test setup-run setup-test

run: setup-run
	./target/release/fieldvoice transcribe tests/fixtures/demo_report.wav --model base --extract --reference-date 2026-11-20

test: setup-test
	cargo test --release --locked

setup-run:
	scripts/setup.sh base

setup-test:
	scripts/setup.sh tiny.en
