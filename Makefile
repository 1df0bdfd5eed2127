# Two set-up commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
PIP = $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: install install-test demo test lint bench

install:
	$(PIP) -e .

install-test:
	bash .ci/system-packages.sh
	$(PIP) -e '.[test,ml]'

demo: install
	$(PY) -m wenda index examples/docs --index .wenda-demo
	$(PY) -m wenda search "Which river flows through Paris?" --index .wenda-demo --k 3
	$(PY) -m wenda ask "Which river flows through Paris?" --index .wenda-demo

test: install-test
	$(PY) -m ruff check wenda tests bench
	$(PY) -m pytest

bench:
	$(PIP) -e '.[test,ml,bench]'
	$(PY) bench/retrieval_speed.py --size 12k
