#!/bin/sh
# Build every patch of the series on its own, with the Rust option on and off.
#
#   build-each.sh KDIR BUILT [CLIPPY]
#
# KDIR is the kernel git tree with the series on branch $BRANCH (series.conf);
# BUILT is a configured tree that has been built once (e.g. a copy of the
# verifier's cached patched tree). For each commit of the series, the files
# the series touches are replaced in BUILT by that commit's, then
#   - bzImage is built with CONFIG_TIPC_CROSSOVER_RUST=y (W=1 for net/tipc),
#   - net/tipc/ is built with the option off (W=1),
#   - with CLIPPY=1 given, net/tipc/ is linted with clippy-driver.
# Incremental builds keep this to about three minutes per patch on 2 cores.
# FROM=<commit> starts after that commit of the series.
# Prints one line per patch and configuration; exits 1 on the first failure,
# with the build's last lines.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
. "$here/patches/series.conf"

[ $# -ge 2 ] || {
	sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
kdir=$1
built=$2
clippy=${3:-}
cache=${TIPC_VERIFIER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tipc-verifier}
vars="LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=$cache/tools/bin/bindgen"
base=$(git -C "$kdir" rev-list --max-parents=0 "$BRANCH")
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() {
	what=$1
	shift
	start=$(date +%s)
	# shellcheck disable=SC2086
	if make -C "$built" $vars -j"$(nproc)" "$@" > "$log" 2>&1; then
		warnings=$(grep -c -E 'warning:' "$log" || true)
		echo "  ok   $what ($(($(date +%s) - start)) s, $warnings warning(s))"
		[ "$warnings" -eq 0 ] || { grep -E 'warning:' "$log" | head -5; exit 1; }
	else
		echo "  FAIL $what"
		tail -25 "$log"
		exit 1
	fi
}

option() {
	"$built/scripts/config" --file "$built/.config" "$1" TIPC_CROSSOVER_RUST
	# shellcheck disable=SC2086
	make -C "$built" $vars olddefconfig > /dev/null
}

for commit in $(git -C "$kdir" rev-list --reverse "${FROM:-$base}..$BRANCH"); do
	echo "$(git -C "$kdir" log -1 --format='%h %s' "$commit")"
	# The series touches net/tipc and one documentation file: take both
	# from this commit, with fresh times so that make sees the change.
	rm -rf "$built/net/tipc"
	git -C "$kdir" archive "$commit" net/tipc Documentation/admin-guide/sysctl/net.rst |
		tar -x -m -C "$built"
	option -e
	step "bzImage, option on" bzImage
	step "net/tipc W=1, option on" W=1 net/tipc/
	[ -z "$clippy" ] || step "net/tipc CLIPPY=1" CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver net/tipc/
	option -d
	step "net/tipc W=1, option off" W=1 net/tipc/
	option -e
done
