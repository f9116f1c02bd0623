#!/usr/bin/env bats
# spool gc: expired leases back, stale tmp/ files and empty buckets gone,
# foreign entries reported; safe beside everything else.

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

# A well-formed ID that no push will make (priority digit 0, time 0).
FAKE_ID=0000000000000000000000000abcdef

@test "gc of a clean queue reports nothing done" {
	spool push q -m x >/dev/null
	run -0 --separate-stderr spool gc q
	[ "$output" = "q: reclaimed=0 expired=0 tmp_removed=0 buckets_removed=0 foreign=0" ]
	[ -z "$stderr" ]
	[ "$(count_state q new)" = 1 ]
}

@test "gc returns an expired lease to retry, and to dead on the last attempt" {
	require_faketime
	spool init q --max-attempts 2
	id=$(spool push q -m x)
	spool pop q --lease 1m >/dev/null
	# Not expired yet: nothing moves.
	run -0 spool gc q
	[[ "$output" == *" reclaimed=0 expired=0 "* ]]
	[ "$(count_state q cur)" = 1 ]
	run -0 at_time '+10m' spool gc q
	[[ "$output" == "q: reclaimed=1 expired=0 "* ]]
	[ "$(count_state q retry)" = 1 ] && [ "$(count_state q cur)" = 0 ]
	# Second claim (due now in faked time), then expiry sends it to dead.
	tok=$(at_time '+10m' spool pop q --lease 1m)
	[[ "${tok##*/}" == "$id".a2.* ]]
	run -0 at_time '+30m' spool gc q
	[[ "$output" == "q: reclaimed=0 expired=1 "* ]]
	[ "$(count_state q dead)" = 1 ]
}

@test "gc removes tmp/ files older than 36 hours and spares fresh ones" {
	spool init q
	touch -d '-37 hours' "$SPOOL_DIR/q/tmp/$FAKE_ID"
	touch "$SPOOL_DIR/q/tmp/1000000000000000000000000abcdef"
	run -0 spool gc q
	[[ "$output" == *" tmp_removed=1 "* ]]
	[ ! -e "$SPOOL_DIR/q/tmp/$FAKE_ID" ]
	[ -e "$SPOOL_DIR/q/tmp/1000000000000000000000000abcdef" ]
}

@test "gc removes empty buckets left after messages are acked" {
	require_faketime
	spool push q -m x >/dev/null
	spool pop q --ack >/dev/null
	[ -n "$(find "$SPOOL_DIR/q/new" -mindepth 1 -type d)" ]
	# A bucket a producer may still be using is kept.
	run -0 spool gc q
	[[ "$output" == *" buckets_removed=0 "* ]]
	[ -n "$(find "$SPOOL_DIR/q/new" -mindepth 1 -type d)" ]
	run -0 at_time '+10m' spool gc q
	[[ "$output" =~ buckets_removed=[1-9] ]]
	[ -z "$(find "$SPOOL_DIR/q/new" -mindepth 1 -type d)" ]
	# The queue still works afterwards.
	spool push q -m y >/dev/null
	[ "$(spool pop q --ack)" = y ]
}

@test "gc reports foreign entries on stderr and leaves them alone" {
	spool push q -m x >/dev/null
	leaf=$(dirname "$(find "$SPOOL_DIR/q/new" -type f)")
	ln -s /etc/passwd "$leaf/$FAKE_ID.a0.s5"
	printf 'junk' >"$leaf/not a message"
	run -0 --separate-stderr spool gc q
	[[ "$output" =~ foreign=[1-9] ]]
	[[ "$stderr" == *"spool: gc: q: new/"* ]]
	[ -L "$leaf/$FAKE_ID.a0.s5" ] && [ -f "$leaf/not a message" ]
	[ "$(count_state q new)" = 2 ]
}

@test "gc without QUEUE visits every queue under the default root" {
	spool init b
	spool init a
	mkdir -p "$SPOOL_DIR/junk"
	run -0 --separate-stderr spool gc
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" == "a: "* ]] && [[ "${lines[1]}" == "b: "* ]]
	[ -z "$stderr" ]
	rm -rf "$SPOOL_DIR"
	run -0 spool gc
	[ -z "$output" ]
}

@test "gc --json is an array of reports; --quiet prints nothing" {
	require_cmd jq
	spool init a
	touch -d '-37 hours' "$SPOOL_DIR/a/tmp/$FAKE_ID"
	run -0 spool gc --json
	echo "$output" | jq -e '. == [{"queue": "a", "reclaimed": 0,
	    "expired": 0, "tmp_removed": 1, "buckets_removed": 0,
	    "foreign": 0}]'
	run -0 spool gc -q a
	[ -z "$output" ]
}

@test "gc of a missing queue exits 4 and still visits the others" {
	spool init q
	run -4 --separate-stderr spool gc nosuch q
	[[ "$stderr" == "spool: gc: nosuch: "* ]]
	[[ "$output" == "q: "* ]]
}

@test "gc rejects unknown options with exit 2" {
	run -2 --separate-stderr spool gc --bogus
	[[ "$stderr" == *"usage: spool gc"* ]]
}

@test "gc running beside producers and consumers loses and doubles nothing" {
	spool init q
	touch go
	(while [ -e go ]; do
		spool gc -q q || echo "gc failed $?" >>gc.err
	done) 3>&- &
	gc=$!
	# Payloads "N\n", so that popped payloads come out one per line.
	(for i in $(seq 0 29); do printf '%d\n\0' $(seq $((i * 10 + 1)) \
	    $((i * 10 + 10))) | spool push q -l -0 >/dev/null; done) 3>&- &
	producer=$!
	# Consume until all 300 came through (bounded: 30 s).
	deadline=$((SECONDS + 30))
	: >got
	while [ "$(wc -l <got)" -lt 300 ] && [ $SECONDS -lt $deadline ]; do
		spool pop q -n 10 --ack >>got || :
	done
	wait "$producer"
	rm go
	wait "$gc"
	[ ! -e gc.err ]
	[ "$(wc -l <got)" = 300 ]
	[ "$(sort -n got | uniq | wc -l)" = 300 ]
	[ "$(sort -n got | tail -1)" = 300 ]
	run -0 spool stat q --json
	[[ "$output" == *'"new":0,"cur":0,"retry":0,"dead":0'* ]]
}
