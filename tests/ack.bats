#!/usr/bin/env bats
# spool ack: a token deletes exactly the claim it came from.

load helper

@test "ack deletes the claimed message and prints nothing" {
	spool push q -m done
	tok=$(spool pop q)
	run -0 --separate-stderr spool ack "$tok"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ ! -e "$tok" ]
	[ "$(find "$SPOOL_DIR/q" -type f ! -name config | wc -l)" = 0 ]
}

@test "ack of a token already acked exits 3 and says it is stale" {
	spool push q -m x
	tok=$(spool pop q)
	spool ack "$tok"
	run -3 --separate-stderr spool ack "$tok"
	[ "$stderr" = "spool: ack: $tok: stale token (lease expired or already settled)" ]
}

@test "ack takes several tokens, from one queue or several" {
	spool push a -m a1 -m a2
	spool push b -m b1
	run -0 spool pop a -n 2
	local a1=${lines[0]} a2=${lines[1]} b1
	b1=$(spool pop b)
	run -0 spool ack "$a1" "$b1" "$a2"
	[ "$(count_state a cur)" = 0 ]
	[ "$(count_state b cur)" = 0 ]
}

@test "ack goes on after a stale token and exits with the worst status" {
	spool push q -m one -m two -m three
	run -0 spool pop q -n 3
	local t1=${lines[0]} t2=${lines[1]} t3=${lines[2]}
	spool ack "$t2"
	run -3 --separate-stderr spool ack "$t1" "$t2" "$t3"
	[[ "$stderr" == *"$t2: stale token"* ]]
	[ "$(count_state q cur)" = 0 ]
	run -3 spool ack /etc/passwd "$t1"
	spool push q -m four
	t4=$(spool pop q)
	run -4 spool ack "$SPOOL_DIR/gone/cur/${t4##*/}" nonsense "$t4"
	[ "$(count_state q cur)" = 0 ]
}

@test "ack of something that is not a token exits 2 and touches nothing" {
	spool push q -m x
	tok=$(spool pop q)
	local bad
	for bad in /etc/passwd garbage "" "$SPOOL_DIR/q/new/${tok##*/}" \
	    "$SPOOL_DIR/q/cur/../cur" "../x" "$SPOOL_DIR/q/cur/not-a-name"; do
		run -2 --separate-stderr spool ack "$bad"
		[[ "$stderr" == "spool: ack: "* ]]
	done
	[ -e "$tok" ]
	[ -e /etc/passwd ]
}

@test "ack of a token whose queue is gone exits 4" {
	spool push q -m x
	tok=$(spool pop q)
	mv "$SPOOL_DIR/q" "$SPOOL_DIR/moved"
	run -4 --separate-stderr spool ack "$tok"
	[[ "$stderr" == "spool: ack: $tok: "* ]]
	[ "$(count_state moved cur)" = 1 ]
}

@test "ack of a stale token after a reclaim changes nothing" {
	spool push q -m x
	old=$(spool pop q --lease 250ms)
	# Past the lease and the clock-skew margin, another pop takes it.
	wait_for 'new=$(spool pop q)' 5
	[[ "$new" == *.a2.* ]]
	run -3 spool ack "$old"
	[ -e "$new" ]
	run -0 spool ack "$new"
}

@test "ack works with the old token after a touch" {
	spool push q -m x
	tok=$(spool pop q --lease 1m)
	spool touch --lease 1h "$tok" >/dev/null
	run -0 spool ack "$tok"
	[ "$(count_state q cur)" = 0 ]
}

@test "ack with no token or an unknown option exits 2" {
	run -2 --separate-stderr spool ack
	[[ "$stderr" == *"missing TOKEN"* ]]
	run -2 --separate-stderr spool ack --frob x
	[[ "$stderr" == *"unknown option '--frob'"* ]]
	[[ "$stderr" == *"usage: spool ack TOKEN..."* ]]
}

@test "ack of a token in a read-only queue exits 5 and keeps the message" {
	require_cmd setpriv
	[ "$(id -u)" = 0 ] || skip "needs root to switch users"
	shared=$(mktemp -d /tmp/spool-ack.XXXXXX)
	chmod 755 "$shared"
	spool push "$shared/q" -m x
	chmod -R a+rX "$shared/q"
	tok=$(spool pop "$shared/q")
	run -5 --separate-stderr setpriv --reuid=4001 --regid=4001 \
	    --clear-groups spool ack "$tok"
	[ -e "$tok" ]
}

teardown() {
	[ -z "${shared:-}" ] || rm -rf "$shared"
}
