#!/usr/bin/env bats
# spool purge: delete chosen messages; never without a selector.

load helper

# Runs "${@:2}" with the wall clock shifted or set as $1 says (libfaketime's
# FAKETIME syntax: "+10m", "-2h", "@2030-01-01 00:00:00 x0.001"), the
# monotonic clock untouched.  The library is preloaded directly: the
# faketime wrapper fails when /dev/shm holds a stale semaphore named after
# a reused PID.
LIBFAKETIME=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketime\.so\.1$')
at_time() {
	FAKETIME="$1" DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$LIBFAKETIME" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "${@:2}"
}
require_faketime() {
	[ -n "$LIBFAKETIME" ] || skip "needs libfaketime (Debian: faketime)"
}

@test "purge with no selector refuses with exit 2 and deletes nothing" {
	spool push q -m a -m b >/dev/null
	run -2 --separate-stderr spool purge q
	[[ "$stderr" == *"name the messages: ID... or --state S"* ]]
	[[ "$stderr" == *"usage: spool purge"* ]]
	run -2 spool purge q --older-than 1s
	[ "$(count_state q new)" = 2 ]
}

@test "purge ID deletes that message only and prints the count" {
	spool push q -m a -m b >ids
	mapfile -t ids <ids
	run -0 --separate-stderr spool purge q "${ids[0]}"
	[ "$output" = "purged 1 message" ] && [ -z "$stderr" ]
	run -0 spool list q
	[ "${#lines[@]}" = 1 ] && [[ "$output" == "${ids[1]} "* ]]
}

@test "purge ID finds the message in any state" {
	id=$(spool push q -m leased)
	spool pop q >/dev/null
	id2=$(spool push q --delay 1h -m later)
	run -0 spool purge q "$id" "$id2"
	[ "$output" = "purged 2 messages" ]
	[ "$(count_state q cur)" = 0 ] && [ "$(count_state q retry)" = 0 ]
}

@test "purge --state dead deletes every dead message and its history" {
	id=$(spool push q -m x)
	spool nack "$(spool pop q)" --dead --reason broken
	spool push q -m y -m z >/dev/null
	spool push q --delay 1h -m later >/dev/null
	run -0 spool purge q --state dead
	[ "$output" = "purged 1 message" ]
	[ "$(count_state q dead)" = 0 ]
	[ "$(count_state q new)" = 2 ] && [ "$(count_state q retry)" = 1 ]
	run -1 spool show q "$id"
	[ -z "$(find "$SPOOL_DIR/q" -path "*/info/*" -name "$id*")" ]
}

@test "purge --state takes a comma list" {
	spool push q -m a >/dev/null
	spool push q --delay 1h -m b >/dev/null
	spool push q -m c >/dev/null
	spool pop q >/dev/null
	run -0 spool purge q --state new,retry
	[ "$output" = "purged 2 messages" ]
	[ "$(count_state q cur)" = 1 ]
}

@test "purge --older-than keeps messages enqueued more recently" {
	require_faketime
	old=$(at_time '-2h' spool push q -m old)
	new=$(spool push q -m new)
	run -0 spool purge q --state new --older-than 1h
	[ "$output" = "purged 1 message" ]
	run -0 spool list q
	[[ "$output" == "$new "* ]] && [ "${#lines[@]}" = 1 ]
	run -1 --separate-stderr spool purge q "$new" --older-than 1h
	[ "$stderr" = "spool: purge: q: $new: no such message old enough" ]
	[ "$(count_state q new)" = 1 ]
}

@test "purge of a missing ID names it, deletes the others, exits 1" {
	id=$(spool push q -m x)
	missing=5000000000000000000000000000000
	run -1 --separate-stderr spool purge q "$missing" "$id"
	[ "$stderr" = "spool: purge: q: $missing: no such message" ]
	[ "$output" = "purged 1 message" ]
	[ "$(count_state q new)" = 0 ]
}

@test "purge --state with nothing to delete prints 0 and exits 0" {
	spool init q
	run -0 spool purge q --state dead
	[ "$output" = "purged 0 messages" ]
	run -0 spool purge q --state dead --quiet
	[ -z "$output" ]
}

@test "purge rejects bad arguments with exit 2 and deletes nothing" {
	id=$(spool push q -m x)
	run -2 spool purge
	run -2 spool purge q --state bogus
	run -2 spool purge q --state new "$id"
	run -2 --separate-stderr spool purge q --state new --older-than soon
	[[ "$stderr" == *"--older-than: invalid duration 'soon'"* ]]
	run -2 --separate-stderr spool purge q "$id" '../x'
	[[ "$stderr" == "spool: purge: ../x: not a message ID"* ]]
	run -2 spool purge q --state new --bogus
	[ "$(count_state q new)" = 1 ]
}

@test "purge of a missing queue exits 4" {
	run -4 --separate-stderr spool purge nosuch --state new
	[[ "$stderr" == "spool: purge: nosuch: "* ]]
}
