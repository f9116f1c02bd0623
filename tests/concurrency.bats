#!/usr/bin/env bats
# Many producers and consumers on one queue: every message delivered
# exactly once while no lease expires; an expired lease is fenced off.

load helper

# Producer $1 pushes $2 messages "p$1-N;": odd producers with -l in
# chunks of 50 lines, even ones with -m in groups of 25 (--no-sync: a
# durable push per message would make the test slow, not more
# concurrent).  The ';' ends each payload, so that payloads written back
# to back by pop --ack -n can be told apart.  IDs go to pushed.$1.
producer() {
	local p=$1 n=$2 i j k args
	for ((i = 0; i < n; i += 50)); do
		if ((p % 2)); then
			for ((j = i; j < i + 50 && j < n; j++)); do
				echo "p$p-$j;"
			done | spool push q -l >>"pushed.$p" || return 1
			continue
		fi
		for ((j = i; j < i + 50 && j < n; j += 25)); do
			args=()
			for ((k = j; k < j + 25 && k < n; k++)); do
				args+=(-m "p$p-$k;")
			done
			spool push q --no-sync "${args[@]}" >>"pushed.$p" ||
			    return 1
		done
	done
}

# Consumer $1 claims until the producers are done and the queue is empty:
# pop -n 16, cat the tokens, ack them; consumer 4 uses pop --ack -n 8.
# An empty queue is waited on (100 ms), not polled in a busy loop.
# Payloads go to delivered.$1.
consumer() {
	local c=$1 st toks
	while :; do
		st=0
		if ((c == 4)); then
			spool pop q --ack -n 8 --wait=100ms >>"delivered.$c" ||
			    st=$?
		else
			toks=$(spool pop q -n 16 --wait=100ms) || st=$?
			if [ "$st" = 0 ]; then
				cat -- $toks >>"delivered.$c" || return 1
				spool ack $toks || return 1
			fi
		fi
		case $st in
		0) ;;
		1) [ -e producers.done ] && return 0 ;;
		*) return 1 ;;
		esac
	done
}

# Every file of queue q with its size and checksum, sorted.
snapshot() {
	(cd "$SPOOL_DIR/q" && find . -type f -exec cksum {} + | sort -k3)
}

# Messages per producer: 500 (2000 in all); fewer under a sanitizer build,
# whose pass looks for memory errors, not volume; more in the long tier.
per_producer() {
	if [ "${SPOOL_TORTURE:-quick}" = long ]; then
		echo 5000
	elif [ -n "${SPOOL_SANITIZER:-}" ]; then
		echo 100
	else
		echo 500
	fi
}

@test "4 producers and 4 consumers deliver every message exactly once" {
	local n
	n=$(per_producer)
	spool init q
	local pids=() p c pid
	for c in 1 2 3 4; do
		consumer "$c" 2>"consumer.$c.err" 3>&- &
		pids+=($!)
	done
	local prods=()
	for p in 1 2 3 4; do
		producer "$p" "$n" 2>"producer.$p.err" 3>&- &
		prods+=($!)
	done
	for pid in "${prods[@]}"; do
		wait "$pid"
	done
	touch producers.done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	cat producer.*.err consumer.*.err
	[ -z "$(cat producer.*.err consumer.*.err)" ]

	# Every push printed a distinct ID.
	[ "$(cat pushed.* | wc -l)" = $((4 * n)) ]
	[ -z "$(cat pushed.* | sort | uniq -d)" ]
	# Every payload came out once, and only pushed ones did.
	cat delivered.* | tr ';' '\n' | sort >got
	[ "$(wc -l <got)" = $((4 * n)) ]
	[ -z "$(uniq -d got)" ]
	for p in 1 2 3 4; do
		seq -f "p$p-%.0f" 0 $((n - 1))
	done | sort >expected
	cmp expected got
	# Each consumer got work, and nothing is left anywhere.
	for c in 1 2 3 4; do
		[ -s "delivered.$c" ]
	done
	[ "$(find "$SPOOL_DIR/q" -type f ! -name config | wc -l)" = 0 ]
}

@test "8 racing pops of one message: exactly one wins" {
	local round i pids
	for round in 1 2 3 4 5; do
		spool push q -m "only $round" >/dev/null
		pids=()
		for i in 1 2 3 4 5 6 7 8; do
			spool pop q >"tok.$round.$i" 3>&- &
			pids+=($!)
		done
		local wins=0 st
		for i in "${!pids[@]}"; do
			st=0
			wait "${pids[$i]}" || st=$?
			case $st in
			0) wins=$((wins + 1)) ;;
			1) ;;
			*) false ;;
			esac
		done
		[ "$wins" = 1 ]
		[ "$(cat tok.$round.* | wc -l)" = 1 ]
		spool ack $(cat tok.$round.*)
	done
}

@test "an expired lease is redelivered as attempt 2; the old token is fenced" {
	spool push q -m payload
	old=$(spool pop q --lease 1s)
	[[ "$old" == *.a1.* ]]
	# The lease ends after 1 s, reclaim waits out the skew margin too.
	wait_for 'new=$(spool pop q --lease 1h)' 6
	[[ "$new" == *.a2.* ]]
	[ "${old%%.*}" = "${new%%.*}" ]
	[ "$(cat "$new")" = payload ]
	snapshot >before
	run -3 --separate-stderr spool ack "$old"
	[[ "$stderr" == *"stale token"* ]]
	run -3 spool nack --dead "$old"
	run -3 spool touch --lease 1h "$old"
	# Nothing changed: the new claim is where it was, as it was.
	snapshot >after
	cmp before after
	[ -e "$new" ]
	run -0 spool ack "$new"
	[ "$(find "$SPOOL_DIR/q" -type f ! -name config | wc -l)" = 0 ]
}

@test "a lease still running is never handed to a second consumer" {
	spool push q -m held
	tok=$(spool pop q --lease 3s)
	run -1 spool pop q
	run -1 spool pop q --wait=1500ms
	[ -e "$tok" ]
	run -0 spool ack "$tok"
}
