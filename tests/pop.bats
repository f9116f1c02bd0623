#!/usr/bin/env bats
# spool pop: claims, tokens, --ack, --wait, and what a failed output does.

load helper

now_ms() {
	date +%s%3N
}

# Whether process $1 watches its queue (it has armed its inotify watch).
is_watching() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q inotify
}

@test "pop on an empty queue exits 1 and prints nothing" {
	spool init q
	run -1 --separate-stderr spool pop q
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "pop prints an absolute token that cat reads and leaves it in cur/" {
	spool push q -m payload
	run -0 --separate-stderr spool pop q
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == "$SPOOL_DIR/q/cur/"* ]]
	[ "$(cat "$output")" = payload ]
	[ "$(count_state q new)" = 0 ]
	[ "$(count_state q cur)" = 1 ]
	run -1 spool pop q
}

@test "pop takes the oldest first and -n takes several in order" {
	spool push q -m one -m two -m three -m four
	run -0 spool pop q
	[ "$(cat "$output")" = one ]
	run -0 spool pop q -n 2
	[ "${#lines[@]}" = 2 ]
	[ "$(cat "${lines[0]}")" = two ]
	[ "$(cat "${lines[1]}")" = three ]
	run -0 spool pop q -n 10
	[ "${#lines[@]}" = 1 ]
	[ "$(cat "$output")" = four ]
	run -1 spool pop q -n 10
}

@test "pop delivers higher priorities first, then by age" {
	spool push q --priority 1 -m low1
	spool push q --priority 1 -m low2
	spool push q -m mid
	spool push q --priority 8 -m high
	run -0 spool pop q --ack -n 4
	[ "$output" = highmidlow1low2 ]
}

@test "pop marks the first claim as attempt 1" {
	spool push q -m x
	run -0 spool pop q
	[[ "$(basename "$output")" == *.a1.* ]]
}

@test "pop --ack prints the payload byte for byte and deletes the message" {
	printf 'bin\0ary\r\nno final newline' >in
	spool push q <in
	spool pop q --ack >out
	cmp in out
	[ "$(count_state q cur)" = 0 ]
	[ "$(count_state q new)" = 0 ]
	run -1 spool pop q --ack
}

@test "pop --ack copies a payload of several megabytes exactly" {
	head -c 6000000 /dev/urandom >big
	spool push q -f big
	spool pop q --ack >out
	cmp big out
}

@test "pop --ack -n writes the payloads back to back" {
	spool push q -l <<<$'a\nb\nc'
	run -0 spool pop q --ack -n 2
	[ "$output" = ab ]
	run -0 spool pop q --ack -n 2
	[ "$output" = c ]
}

@test "pop --ack of an empty payload prints nothing and deletes it" {
	spool push q -m ''
	run -0 spool pop q --ack
	[ -z "$output" ]
	[ "$(count_state q new)" = 0 ]
}

@test "pop --lease sets the lease deadline the token carries" {
	spool push q -m x
	local before after dl
	before=$(now_ms)
	run -0 spool pop q --lease 1h
	after=$(now_ms)
	dl=${output##*.l}
	((dl >= before + 3600000 && dl <= after + 3600000))
}

@test "pop without --lease uses the queue's lease" {
	spool init q --lease 10m
	spool push q -m x
	local before dl
	before=$(now_ms)
	run -0 spool pop q
	dl=${output##*.l}
	((dl >= before + 600000 && dl < before + 610000))
}

@test "pop leaves delayed messages alone until they are due" {
	spool push q --delay 1h -m later
	run -1 spool pop q
	[ "$(count_state q retry)" = 1 ]
}

@test "pop --wait=DUR on an empty queue waits, then exits 1" {
	spool init q
	local t0 t1
	t0=$(now_ms)
	run -1 spool pop q --wait=700ms
	t1=$(now_ms)
	[ -z "$output" ]
	((t1 - t0 >= 700 && t1 - t0 < 5000))
}

@test "pop --wait returns at once when a message is there" {
	spool push q -m ready
	run -0 spool pop q --wait --ack
	[ "$output" = ready ]
}

@test "pop --wait wakes up when a message is pushed" {
	spool init q
	spool pop q --wait=20s --ack >out 3>&- &
	local pid=$!
	wait_for "is_watching $pid" 5
	spool push q -m wake
	local st=0
	wait "$pid" || st=$?
	[ "$st" = 0 ]
	[ "$(cat out)" = wake ]
}

@test "pop --wait with no duration waits until a message comes" {
	spool init q
	spool pop q --wait --ack >out 3>&- &
	local pid=$!
	spool push q -m eventually
	wait_for '! kill -0 $pid 2>/dev/null' 10
	wait "$pid"
	[ "$(cat out)" = eventually ]
}

@test "pop --wait wakes for a delayed message once it is due" {
	spool push q --delay 1s -m due
	run -0 spool pop q --wait=10s --ack
	[ "$output" = due ]
}

@test "pop -n N --wait returns with what is due, without waiting for N" {
	spool push q -m only
	local t0 t1
	t0=$(now_ms)
	run -0 spool pop q -n 5 --wait=10s --ack
	t1=$(now_ms)
	[ "$output" = only ]
	((t1 - t0 < 5000))
}

@test "pop refuses bad arguments with exit 2 and claims nothing" {
	spool push q -m x
	local bad
	for bad in "-n 0" "-n -1" "-n x" "-n ''" "-n 1000001" "--lease 0" \
	    "--lease 1y" "--lease" "--wait=soon" "--wait=-1s" "--ack=1" \
	    "--frob" "-z" "-n"; do
		eval "run -2 --separate-stderr spool pop q $bad"
		[[ "$stderr" == "spool: pop: "* ]]
		[[ "$stderr" == *"usage: spool pop QUEUE"* ]]
	done
	run -2 --separate-stderr spool pop
	[[ "$stderr" == *"missing QUEUE"* ]]
	run -2 spool pop q q
	[ "$(count_state q new)" = 1 ]
}

@test "pop of a missing queue exits 4 and creates nothing" {
	run -4 --separate-stderr spool pop nosuch
	[[ "$stderr" == "spool: pop: nosuch: "* ]]
	[ ! -e "$SPOOL_DIR/nosuch" ]
}

@test "pop of a regular file, or a queue missing a state, exits 4" {
	mkdir -p "$SPOOL_DIR"
	: >"$SPOOL_DIR/file"
	run -4 spool pop file
	spool init q
	rmdir "$SPOOL_DIR/q/dead"
	run -4 --separate-stderr spool pop q
	[[ "$stderr" == *"dead"* ]]
	ln -s /etc "$SPOOL_DIR/q/dead"
	run -4 spool pop q
}

@test "pop to a full standard output exits 5 and hands the claim back" {
	[ -e /dev/full ] || skip "needs /dev/full"
	spool push q -m x
	run -5 --separate-stderr bash -c 'spool pop q >/dev/full'
	[[ "$stderr" == "spool: pop: write error: "* ]]
	[ "$(count_state q cur)" = 0 ]
	# Back unspent: the next claim is still the first attempt.
	run -0 spool pop q
	[[ "$(basename "$output")" == *.a1.* ]]
}

@test "pop --ack to a full standard output keeps the message" {
	[ -e /dev/full ] || skip "needs /dev/full"
	spool push q -m precious
	run -5 bash -c 'spool pop q --ack >/dev/full'
	[ "$(count_state q cur)" = 0 ]
	run -0 spool pop q --ack
	[ "$output" = precious ]
}

@test "pop --ack into a closed pipe keeps the message" {
	head -c 1000000 /dev/urandom >big
	spool push q -f big
	run -0 bash -c 'spool pop q --ack | true; echo "${PIPESTATUS[0]}"'
	[ "$output" = 5 ]
	[ "$(count_state q cur)" = 0 ]
	spool pop q --ack >out
	cmp big out
}

@test "pop with a lease left over hands out each message once" {
	spool push q -m a -m b
	run -0 spool pop q
	local first=$output
	run -0 spool pop q
	[ "$output" != "$first" ]
	run -1 spool pop q
}

@test "a signal while pop --wait waits ends it with nothing claimed" {
	spool init q
	spool pop q --wait=30s >out 3>&- &
	local pid=$!
	wait_for "is_watching $pid" 5
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" = 143 ]
	spool push q -m after
	[ "$(count_state q cur)" = 0 ]
}
