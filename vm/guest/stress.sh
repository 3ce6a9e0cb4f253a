# The guest side of `tipc-verifier stress`. The host writes run.sh =
# lib.sh + the parameters (CYCLES, CHURN, ...) + this file. Run without
# STRESS_PHASE it is the driver: each phase runs as `sh run.sh` again with
# STRESS_PHASE set, under a watchdog (`timeout -s KILL`).
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

# xchg PHASE TAG A B INSTANCE CLASS...: MSGS messages of each CLASS from A
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

# xchg_while FILE PHASE TAG BASE: RDM both ways between sa and sc, one
# exchange after the other (instances BASE+1, BASE+2, ...) for as long as
# FILE exists; then "count PHASE exchanges N". Run it in the background.
xchg_while() {
	j=1
	while [ -e "$1" ]; do
		xchg "$2" "$3$j" sa sc "$(($4 + j))" rdm
		j=$((j + 1))
	done
	fact "count $2 exchanges $((j - 1))"
}

# flood_recv PHASE TAG TO INSTANCE: the receiver of a flood into TO.
flood_recv() {
	mkdir -p "$RES/$1"
	rm -f "/tmp/$2.fready"
	$IP netns exec "$3" tipc-agent recv --sock rdm --service "21020:$4" --count 1000000000 --no-ack \
		--timeout 60 --out "$RES/$1/$2.flood.recv.json" --ready-file "/tmp/$2.fready" 2>> /tmp/agent.err &
	flood_recv=$!
}

# flood_send PHASE TAG FROM INSTANCE: RDM from FROM as fast as it goes until
# the destination disappears (error expected, counted apart); returns once
# the first message is sent.
flood_send() {
	wait_file "/tmp/$2.fready" 30 > /dev/null || fail "$1" "$2: flood receiver not ready"
	rm -f "/tmp/$2.started"
	$IP netns exec "$3" tipc-agent send --sock rdm --service "21020:$4" --count 1000000000 --size 1024 \
		--acks 0 --timeout 30 --out "$RES/$1/$2.flood.send.json" --started-file "/tmp/$2.started" \
		2>> /tmp/agent.err &
	flood_send=$!
	# The destination must only go away once the flood is under way.
	wait_file "/tmp/$2.started" 30 > /dev/null || fail "$1" "$2: the flood did not start"
}

# flood_end PHASE TAG PID: the flood's sender PID must have ended by itself.
flood_end() {
	fe_end=$(deadline 40)
	while kill -0 "$3" 2> /dev/null; do
		if ! before "$fe_end"; then
			fail "$1" "$2: flood sender still running 40 s after its destination went away"
			kill -9 "$3" 2> /dev/null
			break
		fi
		sleep 0.1
	done
	wait "$3" 2> /dev/null
	return 0
}

# kill_ns NS: end every process in NS.
kill_ns() {
	$IP netns pids "$1" 2> /dev/null | xargs -r kill -9 2> /dev/null
	return 0
}

CLASSES_ROTATING="rdm seqpacket stream mcast group"

# rotating K: the class of round K (each one every fifth round).
rotating() {
	k=$1
	# shellcheck disable=SC2086
	set -- $CLASSES_ROTATING
	shift $((k % $#))
	echo "$1"
}

# Namespaces created, linked and deleted while a flood runs into them. Each
# cycle: sb (1.1.2, the same node identity every time) comes up on br0,
# exchanges one class both ways with sa (RDM, SEQPACKET, STREAM, multicast
# and group in turn), then is deleted while sa floods it.
phase_netns_cycle() {
	c=1
	while [ "$c" -le "$CYCLES" ]; do
		tipc_ns sb 2 br0 "pb$c"
		wait_links sb 1 30 || fail netns_cycle "cycle $c: sb's link to sa not up"
		flood_recv netns_cycle "c$c" sb "$c"
		xchg netns_cycle "c$c" sa sb "$c" "$(rotating "$c")"
		log "cycle $c: exchanged"
		# The previous cycle's flood ended meanwhile (sa saw its peer go).
		[ "$c" -gt 1 ] && flood_end netns_cycle "c$((c - 1))" "$prev_flood"
		flood_send netns_cycle "c$c" sa "$c"
		prev_flood=$flood_send
		kill_ns sb
		$IP netns del sb
		log "cycle $c: sb deleted"
		fact "count netns_cycle cycles $c"
		[ $((c % 10)) -eq 0 ] && progress "netns_cycle $c/$CYCLES"
		c=$((c + 1))
	done
	[ "$CYCLES" -gt 0 ] && flood_end netns_cycle "c$CYCLES" "$prev_flood"
	return 0
}

# Bearer disabled and enabled, links reset by carrier loss, each while sa
# floods sc; after each, RDM and SEQPACKET both ways must be intact.
phase_bearer_churn() {
	tipc_ns sc 3 br0 pc
	wait_links sc 1 30 > /dev/null || fail bearer_churn "sc's link to sa not up"
	k=1
	while [ "$k" -le "$CHURN" ]; do
		flood_recv bearer_churn "k$k" sc "$((100000 + k))"
		flood_send bearer_churn "k$k" sa "$((100000 + k))"
		if [ $((k % 2)) -eq 1 ]; then
			$IP netns exec sc $TIPC bearer disable media eth device tv
			wait_links_down sa 30 > /dev/null || fail bearer_churn "round $k: link still up after bearer disable"
			bearer sc tv
		else
			$IP -n sc link set tv down
			wait_links_down sa 30 > /dev/null || fail bearer_churn "round $k: link still up after carrier loss"
			$IP -n sc link set tv up
		fi
		flood_end bearer_churn "k$k" "$flood_send"
		kill "$flood_recv" 2> /dev/null
		wait "$flood_recv" 2> /dev/null
		wait_links sc 1 30 > /dev/null || fail bearer_churn "round $k: link not back"
		xchg bearer_churn "k$k" sa sc "$((100000 + k))" rdm seqpacket
		fact "count bearer_churn rounds $k"
		progress "bearer_churn $k/$CHURN"
		k=$((k + 1))
	done
	return 0
}

# accept/connect in a loop over the crossover, both kinds, both ways.
phase_conn_storm() {
	dir=$RES/storm
	mkdir -p "$dir"
	pids=""
	for spec in "seqpacket sa sc 21030:1 256" "stream sc sa 21031:1 4096"; do
		# shellcheck disable=SC2086
		set -- $spec
		rm -f "/tmp/storm-$1.ready"
		$IP netns exec "$2" tipc-agent storm --role accept --sock "$1" --service "$4" --conns "$STORM_CONNS" \
			--size "$5" --ready-file "/tmp/storm-$1.ready" --timeout 600 --out "$dir/storm-$1-accept.json" \
			2>> /tmp/agent.err &
		pids="$pids $!"
		wait_file "/tmp/storm-$1.ready" 30 || fail conn_storm "$1 acceptor not ready"
		$IP netns exec "$3" tipc-agent storm --role connect --sock "$1" --service "$4" --conns "$STORM_CONNS" \
			--size "$5" --timeout 600 --out "$dir/storm-$1-connect.json" 2>> /tmp/agent.err &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail conn_storm "a storm agent failed (see its JSON)"
	done
	fact "count conn_storm connections $((2 * STORM_CONNS))"
	return 0
}

# Peers come up while name distribution has nothing to send: e1 and e2 on
# their own bridge, no names published in either. e2 is created again each
# round: odd rounds with an address (finalized before the link), even
# rounds with none (TIPC's address trial, finalize while discovery runs);
# each round its link also goes down and up once.
phase_empty_names() {
	bridge_add br1
	tipc_ns e1 10 br1 pe
	r=1
	while [ "$r" -le "$EMPTY_ROUNDS" ]; do
		if [ $((r % 2)) -eq 1 ]; then n=11; else n=""; fi
		tipc_ns e2 "$n" br1 "pq$r"
		wait_links e2 1 30 > /dev/null || fail empty_names "round $r: e2's link not up"
		$IP -n e2 link set tv down
		$IP -n e2 link set tv up
		wait_links e2 1 30 > /dev/null || fail empty_names "round $r: e2's link not back"
		kill_ns e2
		$IP netns del e2
		fact "count empty_names rounds $r"
		r=$((r + 1))
	done
	progress "empty_names $EMPTY_ROUNDS/$EMPTY_ROUNDS"
	return 0
}

# Forged discovery frames on br0 (where sa and sc live) at volume, each
# class of the verifier's issue, while RDM flows sa <-> sc and is checked.
# They claim the node of `victim` (made in stress_main), learnt from its
# discovery messages on isor.
phase_forged() {
	dir=$RES/forged
	mkdir -p "$dir"
	rm -f /tmp/forging
	touch /tmp/forging
	xchg_while /tmp/forging forged f 200000 &
	bg=$!
	for mode in forged-proof wrong-cluster replay-other-id raw-hash; do
		tipc-agent inject --dev br0 --sniff-dev isor --mode $mode --count "$FORGE_FRAMES" --interval-us 100 \
			--out "$dir/inject-$mode.json" 2>> /tmp/agent.err || fail forged "inject $mode failed"
		progress "forged $mode $FORGE_FRAMES frames"
	done
	# First contacts: every frame a node of its own.
	tipc-agent inject --dev br0 --mode forged-proof --distinct --first 5000 --count "$FORGE_DISTINCT" \
		--interval-us 100 --out "$dir/inject-distinct.json" 2>> /tmp/agent.err ||
		fail forged "inject --distinct failed"
	rm -f /tmp/forging
	wait "$bg"
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

# faults_sweeps PHASE: FAULT_ROUNDS sweeps of namespace set-ups, each failing
# every allocation of setup_net() once in turn; pernet pre_exit and exit then
# run for state whose init never ran (an oops shows on the console).
faults_sweeps() {
	mkdir -p "$RES/faults"
	if ! fault_setup; then
		fail "$1" "no fault injection in this kernel (debugfs failslab, fail_page_alloc)"
		return 1
	fi
	r=1
	while [ "$r" -le "$FAULT_ROUNDS" ]; do
		tipc-agent netns-faults --out "$RES/faults/sweep-$1-$r.json" 2>> /tmp/agent.err ||
			fail "$1" "sweep $r did not cover the set-up (see faults/sweep-$1-$r.json)"
		progress "$1 sweep $r/$FAULT_ROUNDS"
		r=$((r + 1))
	done
	return 0
}

# Before any TIPC namespace exists (stress_main has made none yet).
phase_faults_idle() {
	faults_sweeps faults_idle
}

# While sa and sc (linked over br0, crossover open) exchange RDM both ways.
phase_faults_busy() {
	rm -f /tmp/busy
	touch /tmp/busy
	xchg_while /tmp/busy faults_busy b 300000 &
	bg=$!
	faults_sweeps faults_busy
	rm -f /tmp/busy
	wait "$bg"
	return 0
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

# The namespaces every later phase works with.
stress_namespaces() {
	# The victim whose node the forged frames claim: a TIPC namespace of
	# this kernel whose bearer leads only to the root namespace. Made first
	# and kept to the end, so no other namespace can have its inode.
	ns_add victim
	$IP link add iso netns victim type veth peer name isor
	$IP -n victim link set iso up
	$IP link set isor up
	record_ns victim ""
	bearer victim iso
	bridge_add br0
	tipc_ns sa 1 br0 pa
}

stress_main() {
	: > "$FACTS"
	crossover_trace_start
	cleanup_on_exit "$RES/crossover-trace.txt"
	made=0
	for ph in $PHASES; do
		# The first phase runs with no TIPC namespace at all.
		if [ "$ph" != faults_idle ] && [ "$made" -eq 0 ]; then
			stress_namespaces
			made=1
		fi
		run_phase "$ph" "$(watchdog_of "$ph")"
	done
	# Reports of deferred work (namespace cleanup) come late: give them
	# time, while the namespaces go and their crossovers close.
	sleep 3
	crossover_trace_close "$RES/crossover-trace.txt" 60
	trap - EXIT
	cat /tmp/agent.err > /share/agent-stderr.log 2> /dev/null
	return 0
}

if [ -n "${STRESS_PHASE:-}" ]; then
	"phase_$STRESS_PHASE"
	exit $?
fi
stress_main
