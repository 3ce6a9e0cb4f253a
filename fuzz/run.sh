#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target for a bounded time and reports, per target,
# executions, executions per second, corpus size and the crashes found.
#
#   FUZZ_SECONDS=N     seconds of fuzzing per target (default 60; the build is not counted)
#   FUZZ_TARGETS="..." targets to run (default: all of fuzz/fuzz_targets/)
#
# The working corpus fuzz/corpus/<target>/ starts as a copy of the committed seeds
# (fuzz/seeds/<target>/) and keeps what earlier runs found; crash, timeout and OOM inputs
# are saved in fuzz/artifacts/<target>/. Both are generated, not committed.
# Exit status: 0 nothing found, 1 a target crashed, timed out or ran out of memory (the
# artifacts are named), 2 the tools are missing or a build failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
FUZZ_DIR=fuzz
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
all_targets() {
    local f
    for f in "$FUZZ_DIR"/fuzz_targets/*.rs; do
        basename "$f" .rs
    done
}
TARGETS=${FUZZ_TARGETS:-$(all_targets | xargs)}
# Per-input limits: a decoder hang of 10 s is a finding, as is 2 GB of memory.
PER_INPUT_TIMEOUT=10
RSS_LIMIT_MB=2048

die() {
    echo "make fuzz: $*" >&2
    exit 2
}

# Largest input libFuzzer builds for a target: whole small captures, or one frame.
max_len() {
    case "$1" in
        pcap_reader) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

check_tools() {
    command -v cargo >/dev/null 2>&1 \
        || die "cargo is not installed: install rustup (https://rustup.rs), then run this again"
    command -v rustup >/dev/null 2>&1 \
        || die "cargo-fuzz needs rustup's nightly toolchain: install rustup (https://rustup.rs), then: rustup toolchain install nightly"
    cargo +nightly --version >/dev/null 2>&1 \
        || die "the nightly toolchain is missing (cargo-fuzz needs it): rustup toolchain install nightly"
    cargo +nightly fuzz --version >/dev/null 2>&1 \
        || die "cargo-fuzz is missing: cargo install cargo-fuzz --locked"
    [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]] \
        || die "FUZZ_SECONDS must be a positive number of seconds, not '$SECONDS_PER_TARGET'"
    for t in $TARGETS; do
        [[ -f "$FUZZ_DIR/fuzz_targets/$t.rs" ]] \
            || die "no fuzz target '$t' (have: $(all_targets | xargs))"
    done
}

# Value of libFuzzer's final `stat::NAME:` line in a log, or "?".
stat() {
    local value
    value=$(grep -a "^stat::$2:" "$1" | tail -1 | awk '{print $2}')
    echo "${value:-?}"
}

# The last corpus size libFuzzer reported ("corp: units/bytes"), or "?".
corpus_size() {
    local value
    value=$(grep -a -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$1" | tail -1 | cut -d' ' -f2)
    echo "${value:-?}"
}

count_files() {
    find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l
}

# Runs one target; prints a progress line every 10 s; leaves its report in RESULT_* vars.
run_target() {
    local t=$1 corpus=$FUZZ_DIR/corpus/$1 artifacts=$FUZZ_DIR/artifacts/$1
    local log=$FUZZ_DIR/logs/$1.log marker=$FUZZ_DIR/logs/$1.start
    mkdir -p "$corpus" "$artifacts" "$FUZZ_DIR/logs"
    cp -n "$FUZZ_DIR/seeds/$t"/* "$corpus"/ 2>/dev/null || true
    local before
    before=$(count_files "$corpus")
    touch "$marker"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s (corpus $before inputs, log $log)"
    local start=$SECONDS
    cargo +nightly fuzz run "$t" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        -max_len="$(max_len "$t")" -timeout="$PER_INPUT_TIMEOUT" \
        -rss_limit_mb="$RSS_LIMIT_MB" >"$log" 2>&1 &
    local pid=$! next=10
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if ((SECONDS - start >= next)); then
            next=$((next + 10))
            local status
            status=$(grep -a '^#[0-9]' "$log" | tail -1 | tr -s ' \t' ' ' | cut -c1-100)
            echo "  $t: $((SECONDS - start))s ${status:-(starting)}"
        fi
    done
    wait "$pid"
    RESULT_RC=$?
    RESULT_TIME=$((SECONDS - start))
    # libFuzzer names it executed_units in newer releases, executed_runs in older ones.
    RESULT_RUNS=$(stat "$log" number_of_executed_units)
    [[ $RESULT_RUNS == "?" ]] && RESULT_RUNS=$(stat "$log" number_of_executed_runs)
    RESULT_RATE=$(stat "$log" average_exec_per_sec)
    RESULT_NEW=$(stat "$log" new_units_added)
    RESULT_CORPUS=$(corpus_size "$log")
    mapfile -t RESULT_FOUND < <(find "$artifacts" -maxdepth 1 -type f -newer "$marker" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
}

check_tools
echo "fuzz: building targets (nightly, AddressSanitizer, debug assertions)"
build_log=$FUZZ_DIR/logs/build.log
mkdir -p "$FUZZ_DIR/logs"
if ! cargo +nightly fuzz build >"$build_log" 2>&1; then
    tail -20 "$build_log" >&2
    die "building the fuzz targets failed (full log: $build_log)"
fi

summary=()
failed=0
for t in $TARGETS; do
    run_target "$t"
    found=${#RESULT_FOUND[@]}
    summary+=("$(printf '%-12s %6ss %12s %9s %12s %5s %8s' "$t" "$RESULT_TIME" \
        "$RESULT_RUNS" "$RESULT_RATE" "$RESULT_CORPUS" "$RESULT_NEW" "$found")")
    if ((found > 0)); then
        failed=1
        echo "fuzz: $t FOUND $found problem input(s):"
        printf '  %s\n' "${RESULT_FOUND[@]}"
        grep -a -m1 -A1 'panicked at' "$FUZZ_DIR/logs/$t.log" | sed 's/^/  /'
        echo "  replay one: cargo +nightly fuzz run $t <file>; full output: $FUZZ_DIR/logs/$t.log"
    elif ((RESULT_RC != 0)); then
        failed=1
        echo "fuzz: $t stopped with status $RESULT_RC and no artifact; last lines of its log:"
        tail -15 "$FUZZ_DIR/logs/$t.log" | sed 's/^/  /'
    fi
done

echo
printf '%-12s %7s %12s %9s %12s %5s %8s\n' target time executions exec/s corpus new crashes
printf '%s\n' "${summary[@]}"
if ((failed)); then
    echo "fuzz: FAILED (inputs in $FUZZ_DIR/artifacts/; add each as a regression test)"
    exit 1
fi
echo "fuzz: no crashes"
