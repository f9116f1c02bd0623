#!/usr/bin/env bats
# spool nack: a claim goes back to retry/ (or dead/), with its reason.

load helper

# The history file of the message behind token $1 in queue q.
history_of() {
	local name=${1##*/}
	cat "$SPOOL_DIR/q/info/${name%%.*}"
}

@test "nack returns the message to retry/ and the token is then stale" {
	spool push q -m x
	tok=$(spool pop q)
	run -0 --separate-stderr spool nack "$tok"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(count_state q cur)" = 0 ]
	[ "$(count_state q retry)" = 1 ]
	run -3 --separate-stderr spool nack "$tok"
	[[ "$stderr" == "spool: nack: $tok: stale token"* ]]
	run -3 spool ack "$tok"
	[ "$(count_state q retry)" = 1 ]
}

@test "nack without --delay waits out the queue's backoff" {
	spool init q --backoff 1h:1h
	spool push q -m x
	tok=$(spool pop q)
	run -0 spool nack "$tok"
	run -1 spool pop q
	[ "$(count_state q retry)" = 1 ]
}

@test "nack --delay 0 makes it due at once, as attempt 2" {
	spool push q -m again
	tok=$(spool pop q)
	run -0 spool nack --delay 0 "$tok"
	run -0 spool pop q
	[[ "$(basename "$output")" == *.a2.* ]]
	[ "$(cat "$output")" = again ]
}

@test "nack --delay keeps it in retry/ until due" {
	spool push q -m x
	tok=$(spool pop q)
	run -0 spool nack --delay 1h "$tok"
	run -1 spool pop q
	spool init q2 --backoff 1h
	spool push q2 -m y
	tok=$(spool pop q2)
	run -0 spool nack --delay 500ms "$tok"
	run -0 spool pop q2 --wait=10s --ack
	[ "$output" = y ]
}

@test "nack --dead sends it to dead/ at once" {
	spool push q -m hopeless
	tok=$(spool pop q)
	run -0 spool nack --dead --reason "bad input" "$tok"
	[ "$(count_state q dead)" = 1 ]
	[ "$(count_state q retry)" = 0 ]
	run -1 spool pop q
	[ "$(cat "$(find "$SPOOL_DIR/q/dead" -type f)")" = hopeless ]
}

@test "nack of the last allowed attempt sends it to dead/ with its reason" {
	spool init q --max-attempts 2
	spool push q -m x
	tok=$(spool pop q)
	spool nack --delay 0 --reason "first failure" "$tok"
	tok=$(spool pop q)
	[[ "$tok" == *.a2.* ]]
	run -0 spool nack --delay 0 --reason "second failure" "$tok"
	[ "$(count_state q dead)" = 1 ]
	run -1 spool pop q
	run -0 history_of "$tok"
	[[ "${lines[0]}" == *"attempt 1: first failure" ]]
	[[ "${lines[1]}" == *"attempt 2: second failure" ]]
}

@test "nack --reason is kept escaped, on one line" {
	spool push q -m x
	tok=$(spool pop q)
	run -0 spool nack --dead --reason $'two\nlines\tand a tab' "$tok"
	run -0 history_of "$tok"
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *'two\nlines'?*'and a tab' ]]
	[[ "$output" != *$'\t'* ]]
}

@test "nack takes several tokens and reports each stale one" {
	spool push q -m a -m b -m c
	run -0 spool pop q -n 3
	local t1=${lines[0]} t2=${lines[1]} t3=${lines[2]}
	spool ack "$t2"
	run -3 --separate-stderr spool nack --dead "$t1" "$t2" "$t3"
	[[ "$stderr" == *"$t2: stale token"* ]]
	[ "$(count_state q dead)" = 2 ]
}

@test "nack refuses bad arguments with exit 2 and changes nothing" {
	spool push q -m x
	tok=$(spool pop q)
	local bad
	for bad in "--delay soon" "--delay -5s" "--delay" "--dead --delay 1s" \
	    "--reason" "--frob" "-x"; do
		eval "run -2 --separate-stderr spool nack $bad \"\$tok\""
		[[ "$stderr" == "spool: nack: "* ]]
		[[ "$stderr" == *"usage: spool nack TOKEN..."* ]]
	done
	run -2 --separate-stderr spool nack
	[[ "$stderr" == *"missing TOKEN"* ]]
	run -2 spool nack /etc/passwd
	[ -e "$tok" ]
	[ "$(count_state q cur)" = 1 ]
}

@test "nack of a token whose queue is gone exits 4" {
	spool push q -m x
	tok=$(spool pop q)
	rm -rf "$SPOOL_DIR/q"
	run -4 spool nack "$tok"
}

@test "nack of a token whose lease expired and was reclaimed exits 3" {
	spool push q -m x
	old=$(spool pop q --lease 250ms)
	wait_for 'new=$(spool pop q)' 5
	run -3 spool nack --dead "$old"
	[ -e "$new" ]
	[ "$(count_state q dead)" = 0 ]
}
