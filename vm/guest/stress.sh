# The helpers of `tipc-verifier stress`'s guest script. The host writes
# run.sh = lib.sh + this file + the phases, which it generates as typed
# steps (verifier/src/stress/phases.rs), each a function phase_NAME of
# helper calls. Run without STRESS_PHASE, run.sh is the driver
# (stress_main): each phase runs as `sh run.sh` again with STRESS_PHASE
# set, under a watchdog (`timeout -s KILL`).
#
# Everything the host judges goes to the share:
#   $RES/stress.txt            one line per fact:
#                                phase NAME RC SECONDS
#                                count NAME KEY VALUE
#                                fail NAME TEXT...
#                                ns NAME INODE ADDR   (ADDR: hex, or - when TIPC picked it)
#   $RES/PHASE/TAG.send.json   a verified exchange (and TAG.recv.json)
#   $RES/PHASE/TAG.flood.*     a flood into a namespace being torn down
#   $RES/storm/*.json          connection storm ends
#   $RES/forged/inject-*.json  forged discovery frames
#   $RES/faults/sweep-*.json   failed namespace set-ups (tipc-agent netns-faults)
#   $RES/crossover-trace.txt   the tipc_crossover_peer records
set +e
FACTS=$RES/stress.txt
IFS_DEFAULT=$IFS
AGENT_T=60

fact() { echo "$*" >> "$FACTS"; }
fail() {
	p=$1
	shift
	fact "fail $p $*"
	log "FAIL $p: $*"
}
progress() { echo "TIPC-VERIFIER: STRESS $*" > /dev/console; }

# addr_hex N: the TIPC address 1.1.N as the tracepoint prints it.
addr_hex() { printf '%x' $(((1 << 24) | (1 << 12) | $1)); }

# record_ns NAME N: "ns NAME COOKIE ADDR" (N empty: TIPC chose the address).
record_ns() {
	cookie=$(tipc-agent netns-cookie "$1") || cookie=0
	cookie=${cookie##* }
	if [ -n "$2" ]; then
		fact "ns $1 $cookie $(addr_hex "$2")"
	else
		fact "ns $1 $cookie -"
	fi
}

# tipc_ns NAME N BRIDGE PORT: namespace NAME with address 1.1.N (none if N
# is empty) and a bearer on a veth that is a port of BRIDGE.
tipc_ns() {
	ns_add "$1"
	bridge_port "$1" tv "$3" "$4"
	[ -n "$2" ] && $IP netns exec "$1" $TIPC node set address "1.1.$2"
	record_ns "$1" "$2"
	bearer "$1" tv
}

# svc CLASS DIR: (recv service, send service) words for an exchange.
# Group types differ per direction so that two groups never mix.
svc_of() {
	case $1 in
	rdm) echo "21000:$2 21000:$2" ;;
	seqpacket) echo "21001:$2 21001:$2" ;;
	stream) echo "21002:$2 21002:$2" ;;
	mcast) echo "21003:$2:$2 21003:$2:$2" ;;
	group) echo "$((21010 + $2 % 2)):1 $((21010 + $2 % 2)):1" ;;
	esac
}

size_of() {
	case $1 in
	seqpacket | stream) echo 66000 ;;
	*) echo 1024 ;;
	esac
}

# xchg PHASE TAG A B INSTANCE CLASS...: MSGS (set by the host) messages of each CLASS from A
# to B and from B to A, all at the same time; every one must arrive intact
# (the host compares the agents' counts and digests).
xchg() {
	ph=$1 tag=$2 a=$3 b=$4 inst=$5
	shift 5
	dir=$RES/$ph
	mkdir -p "$dir"
	specs=""
	for cl in "$@"; do
		specs="$specs $cl,$a,$b,ab,$((inst * 2)) $cl,$b,$a,ba,$((inst * 2 + 1))"
	done
	pids=""
	ok=0
	for s in $specs; do
		IFS=,
		# shellcheck disable=SC2086
		set -- $s
		IFS=$IFS_DEFAULT
		# shellcheck disable=SC2046
		set -- "$@" $(svc_of "$1" "$5") "$tag-$1-$4"
		rm -f "/tmp/$8.ready"
		$IP netns exec "$3" tipc-agent recv --sock "$1" --service "$6" --count "$MSGS" --size "$(size_of "$1")" \
			--timeout $AGENT_T --out "$dir/$8.recv.json" --ready-file "/tmp/$8.ready" 2>> /tmp/agent.err &
		pids="$pids $!"
	done
	for s in $specs; do
		IFS=,
		# shellcheck disable=SC2086
		set -- $s
		IFS=$IFS_DEFAULT
		wait_file "/tmp/$tag-$1-$4.ready" $AGENT_T > /dev/null || ok=1
	done
	for s in $specs; do
		IFS=,
		# shellcheck disable=SC2086
		set -- $s
		IFS=$IFS_DEFAULT
		# shellcheck disable=SC2046
		set -- "$@" $(svc_of "$1" "$5") "$tag-$1-$4"
		$IP netns exec "$2" tipc-agent send --sock "$1" --service "$7" --count "$MSGS" --size "$(size_of "$1")" \
			--timeout $AGENT_T --out "$dir/$8.send.json" 2>> /tmp/agent.err &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || ok=1
	done
	[ "$ok" -eq 0 ] || fail "$ph" "$tag: an agent failed (see its JSON)"
	return $ok
}

# xchg_while FILE PHASE TAG A B BASE: RDM both ways between A and B, one
# exchange after the other (instances BASE+1, BASE+2, ...) for as long as
# FILE exists; then "count PHASE exchanges N".
xchg_while() {
	j=1
	while [ -e "$1" ]; do
		xchg "$2" "$3$j" "$4" "$5" "$(($6 + j))" rdm
		j=$((j + 1))
	done
	fact "count $2 exchanges $((j - 1))"
}

# exchanges_start PHASE TAG A B BASE: xchg_while in the background until
# exchanges_stop PHASE.
exchanges_start() {
	rm -f "/tmp/$1.xchg"
	touch "/tmp/$1.xchg"
	xchg_while "/tmp/$1.xchg" "$@" &
	echo $! > "/tmp/$1.xchg.pid"
}

# exchanges_stop PHASE: the exchange under way is the last one.
exchanges_stop() {
	rm -f "/tmp/$1.xchg"
	wait "$(cat "/tmp/$1.xchg.pid")"
	return 0
}

# flood_recv PHASE TAG TO INSTANCE: the receiver of a flood into TO.
flood_recv() {
	mkdir -p "$RES/$1"
	rm -f "/tmp/$2.fready"
	$IP netns exec "$3" tipc-agent recv --sock rdm --service "21020:$4" --count 1000000000 --no-ack \
		--timeout 60 --out "$RES/$1/$2.flood.recv.json" --ready-file "/tmp/$2.fready" 2>> /tmp/agent.err &
	echo $! > "/tmp/$1-$2.frecv.pid"
}

# flood_recv_stop PHASE TAG: the flood's receiver ended (its sender has).
flood_recv_stop() {
	frs=$(cat "/tmp/$1-$2.frecv.pid")
	kill "$frs" 2> /dev/null
	wait "$frs" 2> /dev/null
	return 0
}

# flood_send PHASE TAG FROM INSTANCE: RDM from FROM as fast as it goes until
# the destination disappears (error expected, counted apart); returns once
# the first message is sent. flood_end PHASE TAG waits for it.
flood_send() {
	wait_file "/tmp/$2.fready" 30 > /dev/null || fail "$1" "$2: flood receiver not ready"
	rm -f "/tmp/$2.started"
	$IP netns exec "$3" tipc-agent send --sock rdm --service "21020:$4" --count 1000000000 --size 1024 \
		--acks 0 --timeout 30 --out "$RES/$1/$2.flood.send.json" --started-file "/tmp/$2.started" \
		2>> /tmp/agent.err &
	echo $! > "/tmp/$1-$2.fsend.pid"
	# The destination must only go away once the flood is under way.
	wait_file "/tmp/$2.started" 30 > /dev/null || fail "$1" "$2: the flood did not start"
}

# flood_end PHASE TAG: the flood's sender must have ended by itself.
flood_end() {
	fe_pid=$(cat "/tmp/$1-$2.fsend.pid")
	fe_end=$(deadline 40)
	while kill -0 "$fe_pid" 2> /dev/null; do
		if ! before "$fe_end"; then
			fail "$1" "$2: flood sender still running 40 s after its destination went away"
			kill -9 "$fe_pid" 2> /dev/null
			break
		fi
		sleep 0.1
	done
	wait "$fe_pid" 2> /dev/null
	return 0
}

# fault_setup: failslab and fail_page_alloc driven by fail-nth alone, for
# allocations that may sleep too (set-up allocates with GFP_KERNEL) and of
# every order, without a stack dump per injected failure.
fault_setup() {
	d=/sys/kernel/debug
	[ -d $d/failslab ] || mount -t debugfs nodev $d 2> /dev/null
	for f in failslab fail_page_alloc; do
		[ -d "$d/$f" ] || return 1
		echo N > "$d/$f/ignore-gfp-wait" || return 1
		echo 0 > "$d/$f/verbose" || return 1
	done
	echo 0 > $d/fail_page_alloc/min-order
}

# run_phase NAME SECONDS: the phase in a process of its own under a watchdog.
run_phase() {
	progress "phase $1 (watchdog $2 s)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	STRESS_PHASE=$1 timeout -s KILL "$2" sh /share/run.sh > "/share/phase-$1.log" 2>&1
	prc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	fact "phase $1 $prc $(awk "BEGIN { print $t1 - $t0 }")"
	if [ "$prc" -ne 0 ]; then
		fail "$1" "phase ended with status $prc (137: killed by its watchdog)"
		for p in /run/netns/*; do
			[ -e "$p" ] && kill_ns "${p##*/}"
		done
	fi
	progress "phase $1 ended rc=$prc"
}

# stress_begin: before the first phase.
stress_begin() {
	: > "$FACTS"
	crossover_trace_start
	cleanup_on_exit "$RES/crossover-trace.txt"
}

# stress_end: after the last phase. Reports of deferred work (namespace
# cleanup) come late: give them time, while the namespaces go and their
# crossovers close.
stress_end() {
	sleep 3
	crossover_trace_close "$RES/crossover-trace.txt" 60
	trap - EXIT
	cat /tmp/agent.err > /share/agent-stderr.log 2> /dev/null
	return 0
}
