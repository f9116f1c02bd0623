#!/usr/bin/env bats
# spool touch: leases extended, never shortened; tokens stay valid.

load helper

now_ms() {
	date +%s%3N
}

# The lease deadline a token carries, in ms since the epoch.
deadline_of() {
	echo "${1##*.l}"
}

@test "touch extends the lease and prints the claim's token" {
	spool push q -m x
	tok=$(spool pop q --lease 1m)
	local before
	before=$(now_ms)
	run -0 --separate-stderr spool touch --lease 1h "$tok"
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == "$SPOOL_DIR/q/cur/"* ]]
	[ -e "$output" ]
	(($(deadline_of "$output") >= before + 3600000))
	[ "$(cat "$output")" = x ]
	[ "$(count_state q cur)" = 1 ]
}

@test "touch without --lease extends by the queue's lease" {
	spool init q --lease 2h
	spool push q -m x
	tok=$(spool pop q --lease 1m)
	local before
	before=$(now_ms)
	run -0 spool touch "$tok"
	(($(deadline_of "$output") >= before + 7200000))
}

@test "touch never shortens a lease" {
	spool push q -m x
	tok=$(spool pop q --lease 1h)
	run -0 spool touch --lease 1s "$tok"
	[ "$(deadline_of "$output")" = "$(deadline_of "$tok")" ]
}

@test "the old token and the new one both settle the claim after a touch" {
	spool push q -m a -m b
	run -0 spool pop q -n 2
	local t1=${lines[0]} t2=${lines[1]}
	n1=$(spool touch --lease 1h "$t1")
	spool touch --lease 1h "$t2" >/dev/null
	run -0 spool ack "$t1"
	run -3 spool ack "$n1"
	n2=$(spool touch --lease 2h "$t2")
	run -0 spool nack --dead "$n2"
	[ "$(count_state q dead)" = 1 ]
	[ "$(count_state q cur)" = 0 ]
}

@test "touch takes several tokens and prints one line for each" {
	spool push q -m a -m b -m c
	run -0 spool pop q -n 3
	run -0 spool touch --lease 1h "${lines[@]}"
	[ "${#lines[@]}" = 3 ]
	[ -e "${lines[0]}" ] && [ -e "${lines[1]}" ] && [ -e "${lines[2]}" ]
}

@test "touch after the lease expired exits 3 and changes nothing" {
	spool push q -m x
	tok=$(spool pop q --lease 200ms)
	local dl
	dl=$(deadline_of "$tok")
	wait_for '(($(now_ms) > dl + 50))' 5
	run -3 --separate-stderr spool touch --lease 1h "$tok"
	[ "$stderr" = "spool: touch: $tok: stale token (lease expired or already settled)" ]
	[ -z "$output" ]
	[ "$(find "$SPOOL_DIR/q/cur" -type f)" = "$tok" ]
}

@test "touch of a settled token exits 3; good tokens are still touched" {
	spool push q -m a -m b
	run -0 spool pop q -n 2
	local t1=${lines[0]} t2=${lines[1]}
	spool ack "$t1"
	run -3 --separate-stderr spool touch --lease 1h "$t1" "$t2"
	[ "${#lines[@]}" = 1 ]
	(($(deadline_of "$output") > $(deadline_of "$t2")))
}

@test "touch refuses bad arguments with exit 2" {
	spool push q -m x
	tok=$(spool pop q --lease 1h)
	local bad
	for bad in "--lease 0" "--lease x" "--lease" "--frob" "-l 1h"; do
		eval "run -2 --separate-stderr spool touch $bad \"\$tok\""
		[[ "$stderr" == "spool: touch: "* ]]
		[[ "$stderr" == *"usage: spool touch TOKEN..."* ]]
	done
	run -2 --separate-stderr spool touch
	[[ "$stderr" == *"missing TOKEN"* ]]
	run -2 spool touch /etc/passwd
	[ -e "$tok" ]
}

@test "touch of a token whose queue is gone exits 4" {
	spool push q -m x
	tok=$(spool pop q)
	rm -rf "$SPOOL_DIR/q"
	run -4 spool touch "$tok"
}

@test "touch to a full standard output still extends the lease, exits 5" {
	[ -e /dev/full ] || skip "needs /dev/full"
	spool push q -m x
	tok=$(spool pop q --lease 1m)
	run -5 --separate-stderr bash -c "spool touch --lease 1h '$tok' >/dev/full"
	[[ "$stderr" == "spool: touch: write error: "* ]]
	(($(deadline_of "$(find "$SPOOL_DIR/q/cur" -type f)") > $(deadline_of "$tok")))
}
