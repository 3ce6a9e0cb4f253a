# The two commands of the project (see README.md):
#   make check   the main job: kernels, QEMU guests, path proofs, KTAP + JSON
#   make test    the test suite: host tests, the QEMU suite, the review, the short stress run
#   make review  netdev's checks on every patch of the series
#   make stress  the long stress run on the debug kernel (one to one and a half hours)
# Both install what is missing first (tipc-verifier setup, as root); the
# kernel sources are fetched into the cache, never installed. `make check`
# runs both kernel bases (7.3 and 6.12); ARGS="--base 7.3" for one.

CARGO    ?= cargo
VERIFIER := target/release/tipc-verifier
ARGS     ?=

.PHONY: check test host-test qemu-test run-test review review-test stress-short stress setup tools fmt clean-out trace-bench bench fuzz

tools:
	$(CARGO) build --release --locked -p tipc-verifier -p tipc-agent

setup: tools
	$(VERIFIER) setup

check: setup
	$(VERIFIER) check $(ARGS)

test: host-test qemu-test run-test review-test review stress-short

host-test: setup
	$(CARGO) test --workspace --locked

# make check's subset: 7.3 in full, 6.12 on its patched kernel only
qemu-test: setup
	$(VERIFIER) check --quick $(ARGS)

# `tipc-verifier run` with a C client and server built here (gcc -static):
# a crossover on one kernel, the bearer between two guests, the shell
run-test: setup
	$(CARGO) test --locked -p tipc-verifier --test run_user_program -- --ignored --test-threads=1

# netdev's checks on every patch of the 7.3 series (patches/), on a fresh
# branch of the base (the backport: make review ARGS="--base 6.12")
review: setup
	$(VERIFIER) review $(ARGS)

# every review check against a patch broken on purpose (needs the cached tree)
review-test: setup
	$(CARGO) test --locked -p tipc-verifier --test review_kernel_tree -- --include-ignored --test-threads=1

# the debug kernel (KASAN, lockdep) under churn, storms and forged frames:
# the short form in `make test`, the long form (500 namespace cycles) alone
stress-short: setup
	$(VERIFIER) stress --short

stress: setup
	$(VERIFIER) stress $(ARGS)

fmt:
	$(CARGO) fmt --all

clean-out:
	rm -rf out

# trace review against tshark on a 100,000-frame capture, side by side
trace-bench: setup
	$(VERIFIER) trace bench $(ARGS)

# throughput and latency (Rust and C crossover, bearer, TCP, node-internal,
# AF_UNIX), scale, discovery at up to 1000 namespaces, the send path per function
bench: setup
	$(VERIFIER) bench $(ARGS)

# cargo-fuzz targets (reader, TIPC decoder) for FUZZ_SECONDS each (default 60; needs nightly)
fuzz:
	fuzz/run.sh
