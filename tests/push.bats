#!/usr/bin/env bats
# spool push: payloads kept byte for byte, IDs printed only once durable.

load helper

# The file of message $2 in queue $1, in any state.
msg_file() {
	find "$SPOOL_DIR/$1" -path "$SPOOL_DIR/$1/tmp" -prune -o \
	    -type f -name "$2.*" -print
}

# Pushes file $1 from standard input and checks the message is the same.
push_roundtrip() {
	run -0 --separate-stderr spool push q <"$1"
	[ "${#lines[@]}" = 1 ]
	cmp "$1" "$(msg_file q "$output")"
}

@test "push -m prints one ID per message, in order, and keeps the text" {
	run -0 --separate-stderr spool push q -m first -m second
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" =~ ^[0-9a-z]{31}$ ]]
	[[ "${lines[1]}" =~ ^[0-9a-z]{31}$ ]]
	[[ "${lines[0]}" < "${lines[1]}" ]]
	[ "$(cat "$(msg_file q "${lines[0]}")")" = first ]
	[ "$(cat "$(msg_file q "${lines[1]}")")" = second ]
	[ "$(count_state q new)" = 2 ]
}

@test "push creates a missing queue with the default settings" {
	[ ! -e "$SPOOL_DIR/q" ]
	run -0 spool push q -m hello
	[ -d "$SPOOL_DIR/q/cur" ]
	grep -q "max-attempts 5" "$SPOOL_DIR/q/config"
}

@test "push reads one message from standard input, byte for byte" {
	printf 'line one\nline two\n' >in
	push_roundtrip in
}

@test "push keeps empty payloads from -m and from standard input" {
	run -0 spool push q -m ''
	[ ! -s "$(msg_file q "$output")" ]
	run -0 spool push q </dev/null
	[ ! -s "$(msg_file q "$output")" ]
	[ "$(count_state q new)" = 2 ]
}

@test "push keeps NULs, CRLF, bad UTF-8 and a missing final newline" {
	printf 'a\0b\0\0c' >nuls
	push_roundtrip nuls
	printf 'dos\r\nline\r\n' >crlf
	push_roundtrip crlf
	printf 'no newline at the end' >nonl
	push_roundtrip nonl
	printf '\377\376\300\200 bad utf-8\n' >bad
	push_roundtrip bad
}

@test "push keeps payloads of 1, 4095, 4096, 4097 and 65537 bytes" {
	local n
	for n in 1 4095 4096 4097 65537; do
		head -c "$n" /dev/urandom >"p$n"
		push_roundtrip "p$n"
	done
}

@test "push keeps a payload of several megabytes byte for byte" {
	head -c 5000000 /dev/urandom >big
	push_roundtrip big
	run -0 spool push q -f big
	cmp big "$(msg_file q "$output")"
}

@test "push -f reads files; -m and -f keep their command-line order" {
	printf 'from file\n' >f1
	head -c 70000 /dev/urandom >f2
	run -0 spool push q -m one -f f1 -m three -f f2
	[ "${#lines[@]}" = 4 ]
	[ "$(cat "$(msg_file q "${lines[0]}")")" = one ]
	cmp f1 "$(msg_file q "${lines[1]}")"
	[ "$(cat "$(msg_file q "${lines[2]}")")" = three ]
	cmp f2 "$(msg_file q "${lines[3]}")"
}

@test "push -f - reads standard input, even among other inputs" {
	run -0 spool push q -m before -f - -m after <<<"stdin"
	[ "${#lines[@]}" = 3 ]
	[ "$(cat "$(msg_file q "${lines[1]}")")" = stdin ]
}

@test "push -f of a missing file or a directory exits 5 and pushes nothing" {
	run -5 --separate-stderr spool push q -m early -f missing -m late
	[ -z "$output" ]
	[ "$stderr" = "spool: push: missing: No such file or directory" ]
	mkdir adir
	run -5 --separate-stderr spool push q -m early -f adir
	[ "$stderr" = "spool: push: adir: Is a directory" ]
	[ "$(find "$SPOOL_DIR" -type f ! -name config | wc -l)" = 0 ]
}

@test "push -f of an unreadable file exits 5 and pushes nothing" {
	require_cmd setpriv
	[ "$(id -u)" = 0 ] || skip "needs root to switch users"
	mkdir -p shared && chmod 777 shared
	printf secret >shared/locked && chmod 000 shared/locked
	chmod 755 "$BATS_TEST_TMPDIR"
	run -5 --separate-stderr setpriv --reuid=4001 --regid=4001 \
	    --clear-groups spool push "$PWD/shared/q" -m x -f shared/locked
	[ "$stderr" = "spool: push: shared/locked: Permission denied" ]
	[ ! -e shared/q ] || [ "$(find shared/q -type f ! -name config | wc -l)" = 0 ]
}

@test "push -l makes each line a message, without its newline" {
	printf 'alpha\nbeta\r\n\ngamma' >lines
	run -0 --separate-stderr spool push q -l <lines
	[ "${#lines[@]}" = 4 ]
	[ "$(cat "$(msg_file q "${lines[0]}")")" = alpha ]
	[ "$(cat "$(msg_file q "${lines[1]}")")" = $'beta\r' ]
	[ ! -s "$(msg_file q "${lines[2]}")" ]
	[ "$(cat "$(msg_file q "${lines[3]}")")" = gamma ]
	run -0 spool push q --lines <<<"one more"
	[ "$(cat "$(msg_file q "$output")")" = "one more" ]
}

@test "push -l of an empty input pushes nothing and succeeds" {
	run -0 spool push q -l </dev/null
	[ -z "$output" ]
	[ "$(count_state q new)" = 0 ]
}

@test "push -0 splits at NULs and keeps newlines inside messages" {
	printf 'one\ntwo\0three\0' >nul
	run -0 spool push q -0 <nul
	[ "${#lines[@]}" = 2 ]
	[ "$(cat "$(msg_file q "${lines[0]}")")" = $'one\ntwo' ]
	[ "$(cat "$(msg_file q "${lines[1]}")")" = three ]
}

@test "push -l splits -f files too and keeps -m texts whole" {
	printf 'f1\nf2\n' >list
	run -0 spool push q -l -m $'m1\nstill m1' -f list
	[ "${#lines[@]}" = 3 ]
	[ "$(cat "$(msg_file q "${lines[0]}")")" = $'m1\nstill m1' ]
	[ "$(cat "$(msg_file q "${lines[2]}")")" = f2 ]
}

@test "push -l of 2500 lines spans group commits and keeps every line" {
	seq 1 2500 >nums
	run -0 spool push q -l <nums
	[ "${#lines[@]}" = 2500 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" = 2500 ]
	[ "$(count_state q new)" = 2500 ]
	[ "$(cat "$(msg_file q "${lines[2499]}")")" = 2500 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -c && echo sorted)" = sorted ]
}

@test "push -l keeps a line of 1 MiB whole" {
	{ head -c 1048576 /dev/urandom | tr -d '\n'; echo; echo short; } >long
	run -0 spool push q -l <long
	[ "${#lines[@]}" = 2 ]
	head -n 1 long | head -c -1 >first
	cmp first "$(msg_file q "${lines[0]}")"
}

@test "push -l publishes lines as they come, not only at the end" {
	mkfifo fifo
	spool push q -l <fifo >ids 3>&- &
	local pid=$!
	exec 4>fifo
	echo first >&4
	wait_for '[ "$(count_state q new)" = 1 ]' 5
	[ "$(wc -l <ids)" = 1 ]
	echo second >&4
	exec 4>&-
	wait "$pid"
	[ "$(count_state q new)" = 2 ]
	[ "$(wc -l <ids)" = 2 ]
}

@test "push --delay parks the message in retry/ until it is due" {
	run -0 spool push q --delay 1h -m later
	[ "$(count_state q new)" = 0 ]
	[ "$(count_state q retry)" = 1 ]
	run -1 spool pop q
	run -0 spool push q --delay 0 -m now
	[ "$(count_state q new)" = 1 ]
}

@test "push --delay of one second is popped once due" {
	spool push q --delay 1s -m soon
	run -1 spool pop q
	wait_for 'spool pop q --ack >out' 5
	[ "$(cat out)" = soon ]
}

@test "push --priority orders delivery before age" {
	spool push q --priority 0 -m low
	spool push q -m normal
	spool push q --priority 9 -m high
	run -0 spool pop q --ack -n 3
	[ "$output" = highnormallow ]
}

@test "push refuses bad options with exit 2 and pushes nothing" {
	local bad
	for bad in "--priority 10" "--priority -1" "--priority x" \
	    "--priority ''" "--delay 5y" "--delay -1s" "--delay" "-f" "-m" \
	    "--frob" "-x" "--no-sync=1"; do
		eval "run -2 --separate-stderr spool push q $bad -m x"
		[[ "$stderr" == "spool: push: "* ]]
		[[ "$stderr" == *"usage: spool push QUEUE"* ]]
	done
	run -2 --separate-stderr spool push
	[[ "$stderr" == *"missing QUEUE"* ]]
	run -2 spool push q r -m x
	[ ! -e "$SPOOL_DIR/q" ]
}

@test "push from a terminal without -m or -f is a usage error" {
	require_cmd script
	run -0 script -qec "spool push q; echo status=\$?" /dev/null
	[[ "$output" == *"standard input is a terminal"* ]]
	[[ "$output" == *"status=2"* ]]
	[ ! -e "$SPOOL_DIR/q/new" ] || [ "$(count_state q new)" = 0 ]
}

@test "push from a closed or directory standard input exits 5" {
	# Inside bash -c: bats would hand its output pipe in as fd 0.
	run -5 --separate-stderr bash -c 'exec spool push q <&-'
	[[ "$stderr" == "spool: push: standard input: "* ]]
	run -5 --separate-stderr spool push q <.
	[ "$stderr" = "spool: push: standard input: Is a directory" ]
	[ ! -e "$SPOOL_DIR/q/new" ] || [ "$(count_state q new)" = 0 ]
}

@test "push of more than 1 GiB is refused with exit 5, nothing written" {
	truncate -s 1073741825 huge
	run -5 --separate-stderr spool push q -f huge
	[[ "$stderr" == "spool: push: huge: message too large"* ]]
	run -5 --separate-stderr spool push q <huge
	[[ "$stderr" == *"message too large"* ]]
	[ "$(count_state q tmp)" = 0 ]
	[ "$(count_state q new)" = 0 ]
}

@test "push to a queue that is a regular file exits 4" {
	mkdir -p "$SPOOL_DIR"
	echo not a queue >"$SPOOL_DIR/q"
	run -4 --separate-stderr spool push q -m x
	[[ "$stderr" == "spool: push: q: "* ]]
	run -4 spool push "$SPOOL_DIR/q/" -m x
}

@test "push to a queue missing a state directory exits 4" {
	spool init q
	rmdir "$SPOOL_DIR/q/retry"
	run -4 --separate-stderr spool push q -m x
	[[ "$stderr" == *"retry"* ]]
	[ "$(count_state q new)" = 0 ]
}

@test "push to a bad queue name exits 2" {
	local name
	for name in .q 'a b' '~q' ''; do
		run -2 --separate-stderr spool push "$name" -m x
		[[ "$stderr" == *"not a valid queue name"* ]]
	done
}

@test "push takes odd queue paths: a newline, a leading dash, too long" {
	run -0 spool push "$PWD/odd"$'\n'"path" -m x
	[ "$(find "$PWD/odd"$'\n'"path/new" -type f -printf .)" = . ]
	run -0 spool push ./-dash -m x
	[ -d ./-dash/new ]
	run -2 --separate-stderr spool push -m x -- -dash
	[ "$stderr" = "spool: push: -dash: not a valid queue name" ]
	run -4 --separate-stderr spool pop "$PWD/nope"$'\n'
	[ "$stderr" = "spool: pop: $PWD/nope\\012: no such queue" ]
	run -5 --separate-stderr spool push "$PWD/$(printf 'x%.0s' {1..4000})" -m x
	[[ "$stderr" == *": File name too long" ]]
}

@test "push to a full standard output fails but keeps the message" {
	[ -e /dev/full ] || skip "needs /dev/full"
	run -5 --separate-stderr bash -c 'spool push q -m kept >/dev/full'
	[[ "$stderr" == "spool: push: write error: "* ]]
	[ "$(count_state q new)" = 1 ]
	run -5 bash -c 'spool push q -l >/dev/full <<<"a"'
	[ "$(count_state q new)" = 2 ]
}

@test "push with standard output closed fails but keeps the message" {
	run -5 bash -c 'spool push q -m kept >&-'
	[ "$(count_state q new)" = 1 ]
}

@test "push with standard error closed writes no message into the queue" {
	run -5 bash -c 'exec spool push q -m kept -f missing 2>&-'
	run -0 bash -c 'exec spool push q -m kept 2>&-'
	[ "$(cat "$(msg_file q "$output")")" = kept ]
	[ -z "$(grep -rl spool: "$SPOOL_DIR/q")" ]
}

@test "push --no-sync skips every fsync; a normal push syncs" {
	require_cmd strace
	spool init q
	run -0 strace -f -qq -o trace -e trace=fsync,fdatasync,syncfs \
	    spool push q --no-sync -m fast
	[ "$(grep -c sync trace)" = 0 ]
	[ "$(count_state q new)" = 1 ]
	run -0 strace -f -qq -o trace -e trace=fsync,fdatasync,syncfs \
	    spool push q -m safe
	grep -q sync trace
	run -0 strace -f -qq -o trace -e trace=fsync,fdatasync,syncfs \
	    spool push q --no-sync -l <<<"batched"
	[ "$(grep -c sync trace)" = 0 ]
	[ "$(count_state q new)" = 3 ]
}

@test "a signal during a push from a slow pipe leaves nothing behind" {
	mkfifo fifo
	spool push q <fifo >ids 3>&- &
	local pid=$!
	exec 4>fifo
	printf 'half a mess' >&4
	wait_for '[ "$(count_state q tmp)" = 1 ]' 5
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	exec 4>&-
	[ "$st" = 143 ]
	[ "$(count_state q tmp)" = 0 ]
	[ "$(count_state q new)" = 0 ]
	[ ! -s ids ]
}

@test "a signal during push -l keeps the lines already published" {
	mkfifo fifo
	spool push q -l <fifo >ids 3>&- &
	local pid=$!
	exec 4>fifo
	printf 'one\ntwo\n' >&4
	wait_for '[ "$(count_state q new)" = 2 ]' 5
	printf 'partial' >&4
	kill -HUP "$pid"
	local st=0
	wait "$pid" || st=$?
	exec 4>&-
	[ "$st" = 129 ]
	[ "$(count_state q new)" = 2 ]
	[ "$(count_state q tmp)" = 0 ]
	[ "$(wc -l <ids)" = 2 ]
}
