# Shell helpers every guest scenario script starts with. The host writes
# run.sh = this file + the scenario's steps, so the script on the share is
# complete and can be read and rerun as it is.
set -eu
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
IP=/usr/sbin/ip       # busybox has its own ip applet: always the full path
TIPC=/usr/sbin/tipc
CAPS=/tmp/captures
RES=/share/results
mkdir -p "$CAPS" "$RES" /share/captures

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# Every wait below is bounded in time, never in loop rounds: under TCG a
# round can take far longer than its sleep.
# deadline SECS: the uptime, in whole seconds, SECS from now.
deadline() { echo $(($(cut -d. -f1 /proc/uptime) + $1)); }
# before END: true while the uptime has not reached END (from deadline).
before() { [ "$(cut -d. -f1 /proc/uptime)" -lt "$1" ]; }

# wait_file FILE SECONDS
wait_file() {
	wf_end=$(deadline "$2")
	while [ ! -e "$1" ]; do
		before "$wf_end" || { log "timeout waiting for $1"; return 1; }
		sleep 0.1
	done
}

# wait_link_gone NS DEV SECS: wait until DEV has left NS (a deleted
# namespace's veth peer goes with the namespace's cleanup work, after
# `ip netns del` has returned).
wait_link_gone() {
	lg_end=$(deadline "$3")
	while $IP -n "$1" link show "$2" >/dev/null 2>&1; do
		before "$lg_end" || { log "$1: $2 still there"; return 1; }
		sleep 0.1
	done
}

# ns_add NAME: a namespace with lo up.
ns_add() {
	$IP netns add "$1"
	$IP -n "$1" link set lo up
}

# veth NS1 DEV1 NS2 DEV2
veth() {
	$IP link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	$IP -n "$1" link set "$2" up
	$IP -n "$3" link set "$4" up
}

# cleanup_on_exit TRACEFILE: however the script ends from here on (an
# error under set -e included), the captures stop complete and reach the
# share, and tracing stops with its records in TRACEFILE. A script that
# ends normally stops them itself and clears the trap (trap - EXIT).
cleanup_on_exit() {
	EXIT_TRACE=$1
	trap 'capture_stop_all; crossover_trace_stop "$EXIT_TRACE"' EXIT
}

# capture_start NAME NS IFACE: TIPC frames only, unbuffered. In immediate
# mode tcpdump's ring has one slot of the snap length per frame: at the
# default 256 KiB the 32 MiB ring holds only 128 frames, and a flood on lo
# overran it (hundreds dropped while ns1 sent into a dying ns2). On lo a
# crossover frame is one whole message of up to 66 KB, never a bundle, and
# the judge reads its header only: 2 KiB keeps every header and ~15,000
# slots. Bearer frames are kept whole (bundles and tunnels are walked).
capture_start() {
	case "$3" in
	lo) snap=2048 ;;
	*) snap=262144 ;;
	esac
	$IP netns exec "$2" tcpdump -i "$3" --immediate-mode -B 32768 -U -s "$snap" -Z root -w "$CAPS/$1.pcap" \
		ether proto 0x88ca 2> "$CAPS/$1.stderr" &
	echo $! > "$CAPS/$1.pid"
	cs_end=$(deadline 10)
	until grep -q "listening on" "$CAPS/$1.stderr" 2>/dev/null; do
		before "$cs_end" || { log "tcpdump on $2/$3 did not start"; cat "$CAPS/$1.stderr"; return 1; }
		sleep 0.1
	done
}

# capture_stop_all: SIGINT every tcpdump so its file is complete; keep its
# statistics (the host checks the drop count) and copy the files out.
capture_stop_all() {
	sleep 0.5
	for p in "$CAPS"/*.pid; do
		[ -e "$p" ] || continue
		kill -INT "$(cat "$p")" 2>/dev/null || true
	done
	for p in "$CAPS"/*.pid; do
		[ -e "$p" ] || continue
		pid=$(cat "$p")
		cx_end=$(deadline 30)
		while kill -0 "$pid" 2>/dev/null; do
			before "$cx_end" || { log "tcpdump $pid did not stop: killed"; kill -9 "$pid" 2>/dev/null; break; }
			sleep 0.1
		done
		rm -f "$p"
	done
	for f in "$CAPS"/*.pcap "$CAPS"/*.stderr; do
		[ -e "$f" ] && cp "$f" /share/captures/
	done
	return 0
}

# bearer NS DEV
bearer() {
	$IP netns exec "$1" $TIPC bearer enable media eth device "$2"
}

# wait_addr NS SECONDS: until NS's TIPC address is final (its address
# trial over); bounded in time.
wait_addr() {
	end=$(($(cut -d. -f1 /proc/uptime) + $2))
	while :; do
		# "00000000" until the trial is over
		a=$($IP netns exec "$1" $TIPC node get address 2>/dev/null)
		case $a in
		*[1-9a-fA-F]*)
			log "$1: address $a"
			return 0
			;;
		esac
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || {
			log "$1: no final address after $2 s"
			return 1
		}
		sleep 0.2
	done
}

# wait_links NS COUNT SECONDS: until COUNT unicast links are up.
wait_links() {
	wl_end=$(deadline "$3")
	while :; do
		n=$($IP netns exec "$1" $TIPC link list 2>/dev/null | grep -v broadcast-link | grep -c ': up' || true)
		[ "$n" -ge "$2" ] && { log "$1: $n link(s) up"; return 0; }
		before "$wl_end" || { log "$1: links not up"; $IP netns exec "$1" $TIPC link list; return 1; }
		sleep 0.1
	done
}

# bridge_add BR: a bridge in the root namespace, up.
bridge_add() {
	$IP link add "$1" type bridge
	$IP link set "$1" up
}

# bridge_port NS DEV BR PORT: a veth DEV in NS whose peer PORT is a port of BR.
bridge_port() {
	$IP link add "$2" netns "$1" type veth peer name "$4"
	$IP -n "$1" link set "$2" up
	$IP link set "$4" master "$3" up
}

# wait_links_down NS SECONDS: until NS has no unicast link up.
wait_links_down() {
	wd_end=$(deadline "$2")
	while $IP netns exec "$1" $TIPC link list 2>/dev/null | grep -v broadcast-link | grep -q ': up'; do
		before "$wd_end" || { log "$1: links still up"; return 1; }
		sleep 0.1
	done
	log "$1: no link up"
}

TRACING=/sys/kernel/tracing
CROSSOVER_EVENT=$TRACING/events/tipc/tipc_crossover_peer

# crossover_trace_start: record the series' tipc_crossover_peer tracepoint
# (absent from the stock kernel: then nothing is recorded).
crossover_trace_start() {
	[ -d "$CROSSOVER_EVENT" ] || return 0
	echo 1 > "$CROSSOVER_EVENT/enable"
	echo 1 > "$TRACING/tracing_on"
}

# crossover_trace_stop FILE: stop tracing (before reading, so the buffer
# stays as it is) and keep the records; FILE says "no tracepoint" when the
# kernel has none.
crossover_trace_stop() {
	if [ -d "$CROSSOVER_EVENT" ]; then
		echo 0 > "$TRACING/tracing_on"
		cat "$TRACING/trace" > "$1"
	else
		echo "# no tipc_crossover_peer tracepoint in this kernel" > "$1"
	fi
}

# netns_cookies: "NS COOKIE" for every named namespace, the names the
# tracepoint gives them (tipc-agent enters each namespace in turn).
netns_cookies() {
	set --
	for p in /run/netns/*; do
		[ -e "$p" ] && set -- "$@" "${p##*/}"
	done
	[ $# -gt 0 ] || return 0
	tipc-agent netns-cookie "$@" || log "netns_cookies: tipc-agent failed"
	return 0
}

# crossover_records FILE WHAT: how many tipc_crossover_peer records FILE
# has (WHAT "all") or how many opens (WHAT "open").
crossover_records() {
	if [ "$2" = open ]; then
		grep -c 'tipc_crossover_peer: .* event=open$' "$1" || true
	else
		grep -c 'tipc_crossover_peer: ' "$1" || true
	fi
}

# crossover_set NS 0|1: net.tipc.crossover of namespace NS, and a line in
# the trace that wait_crossover_events counts from.
crossover_set() {
	# Before the write: switching off closes the crossovers within it.
	echo "crossover_set $1 $2" > "$TRACING/trace_marker" 2>/dev/null || true
	if ! $IP netns exec "$1" sh -c "echo $2 > /proc/sys/net/tipc/crossover"; then
		log "$1: cannot set net.tipc.crossover=$2"
		return 1
	fi
	log "$1: net.tipc.crossover=$2"
}

# crossover_events_since_set EVENT: how many tipc_crossover_peer events
# EVENT (open, switch_off, ...) the trace holds since the last crossover_set.
crossover_events_since_set() {
	awk -v ev="event=$1" '
		/tracing_mark_write: crossover_set / { n = 0 }
		/tipc_crossover_peer: / && $NF == ev { n++ }
		END { print n + 0 }' "$TRACING/trace"
}

# wait_crossover_events EVENT N SECS: wait at most SECS seconds until the
# trace holds N events EVENT since the last crossover_set.
wait_crossover_events() {
	end=$(($(cut -d. -f1 /proc/uptime) + $3))
	while :; do
		n=$(crossover_events_since_set "$1")
		if [ "$n" -ge "$2" ]; then
			log "$n $1 events since the switch"
			return 0
		fi
		if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then
			log "wait_crossover_events: $n of $2 $1 events after $3 s"
			return 1
		fi
		sleep 0.5
	done
}

# no_crossover_events EVENT: fails (and says so) if the trace holds an
# event EVENT since the last crossover_set.
no_crossover_events() {
	n=$(crossover_events_since_set "$1")
	[ "$n" -eq 0 ] && return 0
	log "no_crossover_events: $n $1 events since the switch"
	return 1
}

# wait_paused FILE PID SECS: wait at most SECS seconds for FILE, the mark
# of a paused sender, while the sender PID runs; fails when it ended or the
# time is up.
wait_paused() {
	end=$(($(cut -d. -f1 /proc/uptime) + $3))
	while [ ! -e "$1" ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			log "wait_paused: the sender ended before it paused"
			return 1
		fi
		if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then
			log "wait_paused: no $1 after $3 s"
			return 1
		fi
		sleep 0.1
	done
}

# crossover_trace_close FILE SECS: delete every named namespace, wait at
# most SECS seconds for the records to hold as many closes as opens, then
# stop tracing and keep the records in FILE (as crossover_trace_stop).
crossover_trace_close() {
	if [ ! -d "$CROSSOVER_EVENT" ]; then
		crossover_trace_stop "$1"
		return 0
	fi
	# What opens from here on is judged by its pairing only: see
	# crossover_events::before_teardown().
	echo "crossover_teardown" > "$TRACING/trace_marker" 2>/dev/null || true
	for p in /run/netns/*; do
		[ -e "$p" ] && $IP netns del "${p##*/}"
	done
	end=$(($(cut -d. -f1 /proc/uptime) + $2))
	while :; do
		cat "$TRACING/trace" > /tmp/crossover-trace
		all=$(crossover_records /tmp/crossover-trace all)
		opens=$(crossover_records /tmp/crossover-trace open)
		[ "$all" -eq $((2 * opens)) ] && break
		if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then
			log "crossover_trace_close: $opens opens, $((all - opens)) closes after $2 s"
			break
		fi
		sleep 0.2
	done
	crossover_trace_stop "$1"
}

# netns_count [PREFIX]: how many named namespaces there are (whose name
# starts with PREFIX). Scripts run with set -u: PREFIX may be absent.
netns_count() {
	n=0
	for p in /run/netns/"${1-}"*; do
		[ -e "$p" ] && n=$((n + 1))
	done
	echo "$n"
}

# set_mac NS DEV MAC: TIPC derives a node's id from its first bearer's MAC.
set_mac() {
	$IP -n "$1" link set "$2" down
	$IP -n "$1" link set "$2" address "$3"
	$IP -n "$1" link set "$2" up
}

# bystanders FIRST LAST: TIPC namespaces bFIRST..bLAST with final (legacy)
# addresses and no bearer: candidates every discovery lookup may consider.
bystanders() {
	for i in $(seq "$1" "$2"); do
		$IP netns add "b$i"
		$IP netns exec "b$i" $TIPC node set address "1.1.$((100 + i))"
	done
}

# discovery_profile LABEL FRAMES FIRST: a fresh probe namespace with a final
# address and a bearer on a veth to the root namespace receives FRAMES
# forged first-contact discovery messages (node ids FIRST...); the function
# profiler times tipc_disc_rcv and tipc_node_check_dest meanwhile.
discovery_profile() {
	p="probe-$1"
	$IP netns add "$p"
	$IP link add pv netns "$p" type veth peer name "pr-$1"
	$IP -n "$p" link set pv up
	$IP link set "pr-$1" up
	$IP netns exec "$p" $TIPC node set address "1.1.$((60 + $(netns_count probe-)))"
	bearer "$p" pv
	profile_start tipc_disc_rcv tipc_node_check_dest
	tipc-agent inject --dev "pr-$1" --mode forged-proof --distinct --first "$3" --count "$2" \
		--interval-us 2000 --out "$RES/inject-scale-$1.json" || rc=1
	sleep 1
	profile_stop /tmp/profile
	{
		echo "# namespaces: $(($(netns_count) + 1))"
		cat /tmp/profile
	} > "$RES/discovery-profile-$1.txt"
	$IP link del "pr-$1"
}

# mem_available: MemAvailable of /proc/meminfo, in KiB.
mem_available() { sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo; }

# grow_to N FILE: TIPC bystanders (bFIRST.., as `bystanders`) until N-1
# named namespaces exist, so that the next probe makes N; appends
# "grow N CREATED T0 T1 KB0 KB1" to FILE (guest uptime and MemAvailable
# before and after creating them).
grow_to() {
	gt_have=$(netns_count)
	gt_new=$(($1 - 1 - gt_have))
	gt_t0=$(cut -d' ' -f1 /proc/uptime)
	gt_m0=$(mem_available)
	if [ "$gt_new" -gt 0 ]; then
		gt_first=$(($(netns_count b) + 1))
		bystanders "$gt_first" $((gt_first + gt_new - 1))
	else
		gt_new=0
	fi
	echo "grow $1 $gt_new $gt_t0 $(cut -d' ' -f1 /proc/uptime) $gt_m0 $(mem_available)" >> "$2"
}

# periodic_profile LABEL FRAMES SNIFF DEV: the first discovery message that
# arrives on SNIFF (a peer's, whose link stands), sent FRAMES times again
# unchanged on DEV (tipc-agent inject --mode replay), while the function
# profiler times tipc_disc_rcv and tipc_node_check_dest: a known peer's
# periodic discovery, as often as the measurement needs. The peer's own
# discovery timer may be at its slowest (a minute), hence the timeout.
periodic_profile() {
	profile_start tipc_disc_rcv tipc_node_check_dest
	tipc-agent inject --dev "$4" --sniff-dev "$3" --mode replay --count "$2" \
		--interval-us 2000 --timeout 150 --out "$RES/inject-$1.json" || rc=1
	sleep 1
	profile_stop /tmp/profile
	{
		echo "# namespaces: $(($(netns_count) + 1))"
		cat /tmp/profile
	} > "$RES/discovery-profile-$1.txt"
}

# claimants FIRST LAST ADDR: namespaces cFIRST..cLAST, each a TIPC node with
# the configured address ADDR, and so the node identity TIPC derives from it:
# final at once, without a bearer or an address trial.
claimants() {
	for i in $(seq "$1" "$2"); do
		ns_add "c$i"
		$IP netns exec "c$i" $TIPC node set address "$3"
	done
	log "claimants: c$1..c$2 at $3"
}

# bench_blast SINK_PID COMMAND...: once the sink started in the background
# (with --ready-file /tmp/sink.ready) listens, runs the blaster COMMAND, then
# waits for the sink; stops the sink when either fails.
bench_blast() {
	spid=$1
	shift
	if wait_file /tmp/sink.ready 30 && "$@"; then
		wait "$spid"
		return
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	return 1
}

# profile_start FUNCTION...: the function profiler on these functions only.
profile_start() {
	echo "$*" > $TRACING/set_ftrace_filter
	echo 1 > $TRACING/function_profile_enabled
}

# profile_some FUNCTION...: the function profiler on those FUNCTIONs this
# kernel has (the others, inlined say, are logged). Each function's time
# includes the functions it calls, not the time its task slept
# (sleep-time off: a receive that waits for data is not charged for it).
profile_some() {
	echo 0 > $TRACING/options/sleep-time
	: > $TRACING/set_ftrace_filter
	for f in "$@"; do
		echo "$f" >> $TRACING/set_ftrace_filter 2> /dev/null || log "profile: no $f in this kernel"
	done
	echo 1 > $TRACING/function_profile_enabled
}

# profile_stop FILE: stop and keep the profile of every CPU (one table
# each; the verifier merges them).
profile_stop() {
	echo 0 > $TRACING/function_profile_enabled
	cat $TRACING/trace_stat/function[0-9]* > "$1"
	echo > $TRACING/set_ftrace_filter
	echo 1 > $TRACING/options/sleep-time
}

# scale_up N RES: N namespaces s1..sN on the bridge br0, bearers enabled
# together; waits until every namespace has N-1 links up and appends
# "N SECONDS LINKS ASSIGNED" to RES (seconds of guest time from the first
# bearer enable; ASSIGNED counts tipc_crossover_peer "open" records,
# "-" without the tracepoint). Then removes the namespaces.
scale_up() {
	n=$1
	for i in $(seq 1 "$n"); do
		$IP netns add "s$i"
		bridge_port "s$i" sv br0 "sp$i"
	done
	[ -d "$CROSSOVER_EVENT" ] && echo > $TRACING/trace
	t0=$(cut -d' ' -f1 /proc/uptime)
	for i in $(seq 1 "$n"); do
		$IP netns exec "s$i" $TIPC bearer enable media eth device sv
	done
	want=$((n * (n - 1)))
	links=0
	su_end=$(deadline 900)
	while [ "$links" -lt "$want" ] && before "$su_end"; do
		links=0
		for j in $(seq 1 "$n"); do
			up=$($IP netns exec "s$j" $TIPC link list 2>/dev/null | grep -v broadcast-link | grep -c ': up' || true)
			links=$((links + up))
		done
	done
	t1=$(cut -d' ' -f1 /proc/uptime)
	assigned=-
	[ -d "$CROSSOVER_EVENT" ] && assigned=$(grep -c 'tipc_crossover_peer: .* event=open$' $TRACING/trace || true)
	echo "$n $(awk "BEGIN { print $t1 - $t0 }") $links $assigned" >> "$2"
	for i in $(seq 1 "$n"); do
		$IP netns del "s$i"
	done
	sleep 2
}

# wait_module_unused MOD SECS: until nothing holds MOD (a closed TIPC
# socket gives its module reference back after an RCU grace period);
# bounded in time.
wait_module_unused() {
	end=$(($(cut -d. -f1 /proc/uptime) + $2))
	while [ "$(cat "/sys/module/$1/refcnt" 2>/dev/null || echo 0)" -gt 0 ]; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || {
			log "$1 still in use after $2 s: refcnt $(cat "/sys/module/$1/refcnt")"
			return 1
		}
		sleep 0.1
	done
}

# unload_module MOD SECS: rmmod MOD once nothing holds it, again while it
# refuses with EAGAIN (a namespace deleted a moment ago is dismantled by a
# work item after `ip netns del` returns, and TIPC's topology server takes
# the module for its socket's release then), bounded in time. Prints how
# many refusals it met; returns rmmod's last status.
unload_module() {
	end=$(($(cut -d. -f1 /proc/uptime) + $2))
	refused=0
	while :; do
		st=0
		wait_module_unused "$1" "$2" >&2 || st=$?
		if [ "$st" -eq 0 ]; then
			rmmod "$1" >&2 && { echo "$refused"; return 0; }
			st=$?
		fi
		refused=$((refused + 1))
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || { echo "$refused"; return "$st"; }
		sleep 0.2
	done
}

# veth_tx NS DEV: frames DEV has sent.
veth_tx() {
	$IP netns exec "$1" cat "/sys/class/net/$2/statistics/tx_packets"
}

# module_cycles N: TIPC out of the kernel and back N times (rmmod tipc,
# modprobe tipc), each time with two namespaces on a veth that get final
# addresses and a link, exchange 20 rdm messages and are deleted with
# their bearers up. One line per cycle in $RES/module_cycle.txt with the
# exit status of each step (and how often rmmod met EAGAIN first), and the
# frames mc1's veth sent meanwhile (a few
# with the crossover, one or more per message without); the judge reads
# the messages from the agents' results. rmmod tipc again at the end, so
# that the last cycle's namespaces are torn down by the module's exit.
module_cycles() {
	out="$RES/module_cycle.txt"
	: > "$out"
	cyc=1
	while [ "$cyc" -le "$1" ]; do
		rm_rc=0
		refused=$(unload_module tipc 10) || rm_rc=$?
		mp_rc=0
		modprobe tipc || mp_rc=$?
		ns_add mc1
		ns_add mc2
		veth mc1 mv1 mc2 mv2
		$IP netns exec mc1 $TIPC node set address 1.1.1
		$IP netns exec mc2 $TIPC node set address 1.1.2
		bearer mc1 mv1
		bearer mc2 mv2
		link_rc=0
		wait_links mc1 1 60 || link_rc=$?
		tx0=$(veth_tx mc1 mv1)
		$IP netns exec mc2 tipc-agent recv --sock rdm --service 18888:17 --count 20 \
			--timeout 30 --out "$RES/cycle-$cyc.recv.json" &
		rpid=$!
		send_rc=0
		$IP netns exec mc1 tipc-agent send --sock rdm --service 18888:17 --count 20 --size 1000 \
			--timeout 30 --out "$RES/cycle-$cyc.send.json" || send_rc=$?
		recv_rc=0
		wait "$rpid" || recv_rc=$?
		tx=$(($(veth_tx mc1 mv1) - tx0))
		$IP netns del mc1
		$IP netns del mc2
		echo "cycle $cyc rmmod $rm_rc refused $refused modprobe $mp_rc links $link_rc send $send_rc recv $recv_rc veth_tx $tx" >> "$out"
		cyc=$((cyc + 1))
	done
	rm_rc=0
	refused=$(unload_module tipc 10) || rm_rc=$?
	echo "final rmmod $rm_rc refused $refused" >> "$out"
	log "module_cycles: $1 cycles, final rmmod $rm_rc"
}

# user_command K NS DELAY SECS CMD [ARGS...]: `tipc-verifier run`'s K-th
# command. After DELAY seconds, runs CMD in namespace NS from /share/user
# (the user's directory, when given), killed after SECS; its output and
# exit status go to $RES/command-K.{out,err,rc} (137: killed at the limit),
# and the status is this function's.
user_command() {
	k=$1
	ns=$2
	sleep "$3"
	secs=$4
	shift 4
	log "command $k in $ns: $*"
	rc_k=0
	(cd /share/user 2> /dev/null || cd /
		exec timeout -s KILL "$secs" $IP netns exec "$ns" "$@") \
		> "$RES/command-$k.out" 2> "$RES/command-$k.err" || rc_k=$?
	echo "$rc_k" > "$RES/command-$k.rc"
	log "command $k ended: $rc_k"
	return "$rc_k"
}

# kill_ns NS: end every process in NS at once (SIGKILL).
kill_ns() {
	$IP netns pids "$1" 2> /dev/null | xargs -r kill -9 2> /dev/null
	return 0
}

# spawn NS ARGS...: tipc-agent ARGS in NS, in the background; spawned_wait
# waits for all of them.
SPAWNED=""
spawn() {
	sp_ns=$1
	shift
	$IP netns exec "$sp_ns" tipc-agent "$@" 2>> /tmp/agent.err &
	SPAWNED="$SPAWNED $!"
}

# spawned_wait: every agent spawn started has ended; fails if one did.
spawned_wait() {
	sw_rc=0
	for sw in $SPAWNED; do
		wait "$sw" || sw_rc=1
	done
	SPAWNED=""
	return $sw_rc
}
