#!/usr/bin/env bats
# spool run: jobs per message, outcomes and reasons, every flag, signals,
# several runners, --follow.

load helper

# Starts spool run in the background with its output in files; RUNNER is
# its pid.  fd 3 is closed so that bats does not wait for it.
start_runner() {
	spool run "$@" >runner.out 2>runner.err 3>&- &
	RUNNER=$!
}

# Waits (up to ${2:-10} s) for the runner to exit; RC is its status.
wait_runner() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		kill -0 "$RUNNER" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$RUNNER" 2>/dev/null; then
		echo "runner $RUNNER still running" >&2
		return 1
	fi
	RC=0
	wait "$RUNNER" || RC=$?
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/immutable" ]; then
		chattr -i "$(cat "$BATS_TEST_TMPDIR/immutable")" || true
	fi
	if [ -n "${RUNNER:-}" ] && kill -0 "$RUNNER" 2>/dev/null; then
		kill -KILL "$RUNNER" 2>/dev/null || true
	fi
	# Jobs left behind on purpose wrote their pids here.
	if [ -f "$BATS_TEST_TMPDIR/pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/pids"
	fi
}

# Files in every state of queue q.
count_all() {
	find "$SPOOL_DIR/q/new" "$SPOOL_DIR/q/cur" "$SPOOL_DIR/q/retry" \
	    "$SPOOL_DIR/q/dead" -type f | wc -l
}

ms() {
	date +%s%3N
}

# Whether process $1 has exited (gone, or a zombie not yet reaped).
is_dead() {
	local st
	st=$(ps -o stat= -p "$1")
	[ -z "$st" ] || [[ "$st" == Z* ]]
}

@test "run without '--', a command, or a queue is a usage error" {
	spool init q
	run -2 --separate-stderr spool run q true
	[[ "$stderr" == *"missing '--'"* ]]
	[[ "$stderr" == *"usage: spool run"* ]]
	run -2 --separate-stderr spool run q --
	[[ "$stderr" == *"missing the command"* ]]
	run -2 --separate-stderr spool run -- true
	[[ "$stderr" == *"missing QUEUE"* ]]
	run -2 --separate-stderr spool run q extra -- true
	run -2 --separate-stderr spool run q --bogus -- true
	[[ "$stderr" == *"unknown option '--bogus'"* ]]
	run -2 spool run q --timeout -- true
}

@test "run rejects bad -j, --rate, --batch, --max, --dead-exit and durations" {
	spool push q -m keep
	for bad in "-j 0" "-j 3:2" "-j x" "-j 2:" "-j 5000" "--rate 0/s" \
	    "--rate 5/d" "--rate x" "--batch 0" "--max 0" "--max -1" \
	    "--dead-exit 0" "--dead-exit 256" "--dead-exit 1,,x" \
	    "--timeout 5y" "--grace -1s" "--lease 0" "--lease soon"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr spool run q $bad -- true
		[[ "$stderr" == *"usage: spool run"* ]] || {
			echo "no usage for: $bad" >&2
			return 1
		}
	done
	# Nothing was claimed by any of them.
	[ "$(count_state q new)" = 1 ]
}

@test "run with a command that cannot be found exits 2 and claims nothing" {
	spool push q -m keep
	run -2 --separate-stderr spool run q -- no-such-command-here
	[[ "$stderr" == *"no-such-command-here: command not found"* ]]
	[ "$(count_state q new)" = 1 ]
}

@test "run on a missing queue exits 4" {
	run -4 --separate-stderr spool run nosuch -- true
	[[ "$stderr" == "spool: run: nosuch: "* ]]
}

@test "run on an empty queue exits 0 and prints nothing" {
	spool init q
	run -0 --separate-stderr spool run q -- true
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "exit 0 acks: the payload is stdin, byte for byte, and stdout passes through" {
	printf 'a\0b\nc' >bin
	spool push q -f bin
	spool push q -m second
	run -0 --separate-stderr spool run q -- sh -c 'cat >>got; echo "ran $SPOOL_ATTEMPT"'
	[ "$output" = "$(printf 'ran 1\nran 1')" ]
	printf 'a\0b\ncsecond' >want
	cmp got want
	[ "$(count_all)" = 0 ]
	# One log line per message: time, ID, attempt, outcome, duration, status.
	[ "${#stderr_lines[@]}" = 2 ]
	[[ "${stderr_lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ [0-9a-z]{31}\ attempt=1\ ok\ [0-9]+ms\ exit\ 0$ ]]
}

@test "jobs get SPOOL_ID, SPOOL_ATTEMPT, SPOOL_QUEUE and SPOOL_FILE, and {} is the path" {
	id=$(spool push q -m payload)
	SPOOL_ID=inherited SPOOL_FILE=inherited run -0 spool run q --quiet -- \
	    sh -c 'echo "$SPOOL_ID $SPOOL_ATTEMPT $SPOOL_QUEUE"; cat "$SPOOL_FILE"; echo; echo "$1"' \
	    sh "arg={}."
	[ "${lines[0]}" = "$id 1 $SPOOL_DIR/q" ]
	[ "${lines[1]}" = payload ]
	[[ "${lines[2]}" == "arg=$SPOOL_DIR/q/cur/$id."*"." ]]
}

@test "a relative queue path reaches the job as an absolute SPOOL_QUEUE" {
	spool init ./rel
	spool push ./rel -m x
	mkdir elsewhere
	run -0 spool run ./rel --max 1 --quiet -- sh -c 'cd elsewhere && spool push "$SPOOL_QUEUE" -m again >/dev/null && echo "$SPOOL_QUEUE"'
	[ "$output" = "$BATS_TEST_TMPDIR/./rel" ] || [ "$output" = "$BATS_TEST_TMPDIR/rel" ]
	[ "$(find rel/new -type f | wc -l)" = 1 ]
}

@test "a job has only fds 0-2, its own process group, and the validated payload on stdin" {
	spool push q -m secret
	# The runner has fds 3 (bats), 7 and 9 open; the job must see none.
	run -0 --separate-stderr spool run q --quiet -- sh -c '
	    for fd in 3 4 5 6 7 8 9 10 11 12; do
		    if (: >&$fd) 2>/dev/null; then echo "open $fd"; fi
	    done
	    echo "pgid $(ps -o pgid= -p $$ | tr -d " ") pid $$"
	    # The path may be swapped; stdin is the file that was checked.
	    mv "$SPOOL_FILE" saved && ln -s /etc/hostname "$SPOOL_FILE"
	    cat
	    rm "$SPOOL_FILE" && mv saved "$SPOOL_FILE"' 7</dev/null 9>extra
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" =~ ^pgid\ ([0-9]+)\ pid\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${lines[1]}" = secret ]
}

@test "exit 100 sends the message to dead/ with its reason and stderr, and run exits 1" {
	id=$(spool push q -m doomed)
	run -1 --separate-stderr spool run q -- sh -c 'echo "cannot parse this" >&2; exit 100'
	[ "$(count_state q dead)" = 1 ]
	[ "$(count_state q new)" = 0 ]
	[[ "$stderr" == *"cannot parse this"* ]]
	[[ "$stderr" == *"$id attempt=1 dead "*"exit 100"* ]]
	run -0 spool show q "$id"
	[[ "$output" == *"exit 100, ran "*"ms, stderr: cannot parse this"* ]]
}

@test "exit 75 (any other status) retries with backoff; the last attempt goes to dead/" {
	spool init q --max-attempts 2 --backoff 0:0
	id=$(spool push q -m flaky)
	run -1 --separate-stderr spool run q -- sh -c 'echo "try $SPOOL_ATTEMPT" >&2; exit 75'
	[[ "$stderr" == *"$id attempt=1 retry "*"exit 75"* ]]
	[[ "$stderr" == *"$id attempt=2 dead "*"exit 75"* ]]
	[ "$(count_state q dead)" = 1 ]
	run -0 spool show q "$id"
	[[ "$output" == *"attempt 1: exit 75, ran "*"stderr: try 1"* ]]
	[[ "$output" == *"attempt 2: exit 75, ran "*"stderr: try 2"* ]]
}

@test "a failing job waits out the queue's backoff in retry/" {
	spool init q --backoff 1h:1h
	spool push q -m later
	run -1 spool run q --quiet -- false
	# Full jitter may draw any delay up to 1 h; a 0 would have re-run it.
	[ "$(count_state q retry)" = 1 ] || [ "$(count_state q new)" = 0 ]
	[ "$(count_state q cur)" = 0 ]
}

@test "--dead-exit replaces the set of codes that mean dead" {
	spool init q --backoff 1h:1h
	a=$(spool push q -m 3)
	b=$(spool push q -m 100)
	run -1 --separate-stderr spool run q --dead-exit 3,4 -- sh -c 'read c; exit $c'
	[[ "$stderr" == *"$a attempt=1 dead "*"exit 3"* ]]
	[[ "$stderr" == *"$b attempt=1 retry "*"exit 100"* ]]
	[ "$(count_state q dead)" = 1 ]
}

@test "a job killed by a signal is retried with the signal as its reason" {
	spool init q --backoff 1h:1h
	id=$(spool push q -m x)
	run -1 --separate-stderr spool run q -- sh -c 'kill -KILL $$'
	[[ "$stderr" == *"$id attempt=1 retry "*"signal 9 (Killed)"* ]]
	run -0 spool show q "$id"
	[[ "$output" == *"signal 9 (Killed), ran "* ]]
}

@test "--timeout TERMs the job's group, then KILLs it after --grace if it ignores TERM" {
	spool init q --backoff 1h:1h
	id=$(spool push q -m x)
	t0=$(ms)
	run -1 --separate-stderr timeout 20 spool run q --timeout 500ms --grace 300ms -- \
	    sh -c 'trap "" TERM; sleep 30 & echo $! >>"$BATS_TEST_TMPDIR/pids"; wait'
	t=$(($(ms) - t0))
	[ "$t" -ge 750 ] && [ "$t" -lt 8000 ]
	[[ "$stderr" == *"timeout after 500ms, signal 9 (Killed)"* ]]
	run -0 spool show q "$id"
	[[ "$output" == *"timeout after 500ms"* ]]
	# The grandchild in the job's group is dead too (a zombie until its
	# new parent, init, reaps it).
	p=$(cat pids)
	wait_for "is_dead $p" 5
}

@test "--timeout: a job that honours TERM is stopped by it" {
	spool init q --backoff 1h:1h
	spool push q -m x
	t0=$(ms)
	run -1 --separate-stderr spool run q --timeout 300ms --grace 20s -- sleep 30
	[ $(($(ms) - t0)) -lt 10000 ]
	[[ "$stderr" == *"timeout after 300ms, signal 15 (Terminated)"* ]]
}

@test "a job that leaves a daemon holding its output does not hold up run" {
	spool push q -m x
	spool push q -m y
	t0=$(ms)
	run -0 --separate-stderr timeout 20 spool run q -- \
	    sh -c 'setsid sleep 300 >/dev/null & echo $! >>"$BATS_TEST_TMPDIR/pids"; echo bye >&2'
	[ $(($(ms) - t0)) -lt 10000 ]
	[ "$(count_all)" = 0 ]
	# The same when its output is captured.
	spool push q -m z
	run -0 timeout 20 spool run q --capture -- \
	    sh -c 'sleep 300 & echo $! >>"$BATS_TEST_TMPDIR/pids"; echo hi'
	[ $(($(ms) - t0)) -lt 15000 ]
	[ "$(count_all)" = 0 ]
}

# Runs a job that writes 40 MB to stdout and 40 MB to stderr, run's
# output going to files, its peak RSS to the file rss.
chatty() {
	/usr/bin/time -f 'rss %M' -o rss spool run q --quiet -- sh -c '
	    head -c 40000000 /dev/zero | tr "\0" a
	    head -c 40000000 /dev/zero | tr "\0" b >&2
	    echo END >&2; exit 3' >out 2>err
}

@test "a job printing megabytes: run passes it through in bounded memory and keeps the last 4 KiB" {
	require_cmd /usr/bin/time
	spool init q --backoff 1h:1h
	id=$(spool push q -m x)
	run -1 chatty
	[ "$(wc -c <out)" = 40000000 ]
	[ "$(wc -c <err)" = 40000004 ]
	[ "$(tail -c 8 err)" = "$(printf 'bbbbEND')" ] || [ "$(tail -c 8 err)" = "$(printf 'bbbbEND\n')" ]
	if [ -z "${SPOOL_SANITIZER:-}" ]; then
		kb=$(sed -n 's/^rss //p' rss)
		echo "peak RSS ${kb} KiB" >&3
		[ "$kb" -lt 20000 ]
	fi
	run -0 spool show q "$id"
	[[ "$output" == *"exit 3, ran "*", stderr: ...bbbb"*"bbbbEND"* ]]
	# The reason holds the tail, not the 40 MB.
	[ "$(wc -c <"$SPOOL_DIR/q/info/$id")" -lt 5000 ]
}

@test "--capture keeps jobs' output out of run's and in the reason" {
	spool init q --backoff 1h:1h
	id=$(spool push q -m x)
	spool push q -m ok
	run -1 --separate-stderr spool run q --capture -- \
	    sh -c 'read p; echo "out $p"; echo "err $p" >&2; [ "$p" = ok ]'
	[ -z "$output" ]
	[[ "$stderr" != *"out x"* && "$stderr" != *"err x"* ]]
	run -0 spool show q "$id"
	[[ "$output" == *"output: out x\\nerr x"* ]]
}

@test "--quiet prints nothing for jobs; --json prints one object per job" {
	spool init q --backoff 1h:1h
	spool push q -m 0
	spool push q -m 1
	run -1 --separate-stderr spool run q --quiet -- sh -c 'read c; exit $c'
	[ -z "$stderr" ]
	spool push q -m 0
	id=$(spool push q -m 100)
	run -1 --separate-stderr spool run q --json -- sh -c 'read c; exit $c'
	[ "${#stderr_lines[@]}" = 2 ]
	[[ "${stderr_lines[0]}" =~ ^\{\"time\":\"[0-9T:.-]+Z\",\"id\":\"[0-9a-z]{31}\",\"attempt\":1,\"outcome\":\"ok\",\"status\":\"exit\ 0\",\"duration\":[0-9.]+\}$ ]]
	[[ "${stderr_lines[1]}" == "{\"time\":"*"\"id\":\"$id\",\"attempt\":1,\"outcome\":\"dead\",\"status\":\"exit 100\""* ]]
	if command -v jq >/dev/null; then
		printf '%s\n' "$stderr" | jq -e -s 'length == 2 and .[1].outcome == "dead"'
	fi
}

@test "on a terminal, run draws a status line, in colour unless NO_COLOR" {
	require_cmd script
	spool init q --backoff 1h:1h
	spool push q -m 0
	spool push q -m 0
	spool push q -m 1
	run -1 script -qec "spool run q -- sh -c 'read c; exit \$c'" /dev/null
	[[ "$output" == *$'\r\e[Kdone \e[32m2\e[0m  failed \e[31m1\e[0m  running 0  backlog 0  rate '* ]]
	# A success gets no line of its own; the failure does.
	[[ "$output" != *" ok "* ]]
	[[ "$output" == *"attempt=1 retry"* ]]
	spool push q -m 0
	NO_COLOR=1 run -0 script -qec "spool run q -- true" /dev/null
	[[ "$output" == *$'\r\e[Kdone 1  failed 0  running 0  backlog 0'* ]]
	[[ "$output" != *$'\e[3'* ]]
}

@test "-j N runs N jobs at once, and no more" {
	for i in 1 2 3 4 5; do spool push q -m "$i"; done
	# Jobs 1-3 wait until three run at once (fewer would time out);
	# every job records how many it saw running.
	run -0 timeout 20 spool run q -j 3 --quiet -- sh -c '
	    read n; touch "run.$n"
	    if [ "$n" -le 3 ]; then
		    for i in $(seq 100); do
			    [ $(ls | grep -c "^run\.") -ge 3 ] && break
			    sleep 0.05
		    done
	    fi
	    ls | grep -c "^run\." >>seen; sleep 0.1; rm "run.$n"'
	[ "$(count_all)" = 0 ]
	[ "$(wc -l <seen)" = 5 ]
	[ "$(sort -n seen | tail -1)" = 3 ]
}

@test "-j MIN:MAX adds jobs while a backlog waits and never exceeds MAX" {
	seq 16 | spool push q -l >/dev/null
	run -0 timeout 30 spool run q -j 1:3 --quiet -- sh -c '
	    touch "run.$SPOOL_ID"; ls | grep -c "^run\." >>seen; sleep 0.1; rm "run.$SPOOL_ID"'
	[ "$(count_all)" = 0 ]
	max=$(sort -n seen | tail -1)
	[ "$max" = 3 ]
	# It started at one.
	[ "$(head -1 seen)" = 1 ]
}

@test "--max N runs N messages and leaves the rest" {
	for i in $(seq 10); do spool push q -m "$i"; done
	run -0 spool run q --max 3 -j 2 --quiet -- sh -c 'echo "$(cat)" >>got'
	[ "$(wc -l <got)" = 3 ]
	[ "$(count_state q new)" = 7 ]
}

@test "--batch N passes up to N payload paths to one invocation, settled together" {
	spool init q --backoff 1h:1h
	for i in 1 2 3 4 5 6 7; do spool push q -m "$i"; done
	run -0 --separate-stderr spool run q --batch 3 -- \
	    sh -c 'echo "$# ${SPOOL_ID-none} $(cat "$@" | tr -d "\n") $(wc -c)"' batch
	[ "${lines[0]}" = "3 none 123 0" ]
	[ "${lines[1]}" = "3 none 456 0" ]
	[ "${lines[2]}" = "1 none 7 0" ]
	[ "${#stderr_lines[@]}" = 7 ]
	[ "$(count_all)" = 0 ]
	# A whole "{}" argument is where the paths go; a failure nacks all.
	for i in 1 2 3; do spool push q -m "$i"; done
	run -1 --separate-stderr spool run q --batch 5 -- sh -c '[ "$4" = last ] && exit 9' sh {} last
	[ "$(count_state q retry)" = 3 ] || [ "$(count_state q new)" = 0 ]
	[ "$(grep -c ' retry .*exit 9$' <<<"$stderr")" = 3 ]
}

@test "--rate caps how fast jobs start" {
	seq 6 | spool push q -l >/dev/null
	t0=$(ms)
	run -0 spool run q --rate 10/s -j 4 --quiet -- true
	t=$(($(ms) - t0))
	# Six starts 100 ms apart take at least 500 ms.
	[ "$t" -ge 480 ]
	[ "$(count_all)" = 0 ]
	spool push q -m 1 -m 2
	t0=$(ms)
	run -0 spool run q --rate 240/m --quiet -- true
	[ $(($(ms) - t0)) -ge 240 ]
}

@test "a heartbeat keeps a long job's lease: gc does not reclaim it" {
	id=$(spool push q -m long)
	start_runner q --lease 1s -- sh -c 'echo run >>ran; sleep 3'
	wait_for '[ -f ran ]'
	# The claim's deadline (the .l field of its name) is --lease away.
	d0=$(find "$SPOOL_DIR/q/cur" -type f -printf '%f\n' | sed 's/.*\.l//')
	[ $((d0 - $(ms))) -le 1100 ]
	# Past lease and skew without a heartbeat, the claim would be gone.
	sleep 2.5
	run -0 spool gc q
	[ "$(count_state q cur)" = 1 ]
	d1=$(find "$SPOOL_DIR/q/cur" -type f -printf '%f\n' | sed 's/.*\.l//')
	[ "$d1" -gt $((d0 + 1500)) ]
	wait_runner 10
	[ "$RC" = 0 ]
	[ "$(wc -l <ran)" = 1 ]
	[ "$(count_all)" = 0 ]
}

@test "SIGTERM under load: running jobs finish within --grace, the rest stays queued" {
	for i in $(seq 12); do spool push q -m "$i"; done
	start_runner q -j 3 --grace 5s -- sh -c 'touch "run.$SPOOL_ID"; sleep 0.6'
	wait_for '[ $(ls | grep -c "^run\.") -ge 3 ]'
	kill -TERM "$RUNNER"
	wait_runner 10
	# Killed by the signal it was stopped with, as a shell expects.
	[ "$RC" = 143 ]
	[ "$(count_state q cur)" = 0 ]
	acked=$((12 - $(count_all)))
	[ "$acked" -ge 3 ] && [ "$acked" -lt 12 ]
	[ "$(grep -c ' ok ' runner.err)" = "$acked" ]
	grep -q 'stopping (Terminated)' runner.err
}

@test "SIGTERM: jobs still running after --grace are stopped and handed back at once" {
	spool init q --backoff 1h:1h
	for i in $(seq 5); do spool push q -m "$i"; done
	start_runner q -j 3 --grace 300ms -- sh -c 'touch "run.$SPOOL_ID"; sleep 30'
	wait_for '[ $(ls | grep -c "^run\.") -ge 3 ]'
	kill -TERM "$RUNNER"
	wait_runner 10
	[ "$RC" = 143 ]
	[ "$(count_state q cur)" = 0 ]
	[ "$(count_all)" = 5 ]
	[ "$(grep -c ' returned .*signal 15' runner.err)" = 3 ]
	# Handed back due now, not after the 1 h backoff, and unspent: a new
	# run takes them all, each on its first attempt again.
	run -0 spool run q --quiet -- sh -c 'echo "$SPOOL_ATTEMPT"'
	[ "$output" = "$(printf '1\n1\n1\n1\n1')" ]
	[ "$(count_all)" = 0 ]
}

@test "a second signal kills the jobs at once, and still hands every message back" {
	for i in $(seq 4); do spool push q -m "$i"; done
	start_runner q -j 2 --grace 60s -- sh -c 'trap "" TERM; touch "run.$SPOOL_ID"; sleep 60'
	wait_for '[ $(ls | grep -c "^run\.") -ge 2 ]'
	kill -INT "$RUNNER"
	# Two signals pending at once would be one: wait until it has seen it.
	wait_for 'grep -q "stopping (Interrupt)" runner.err'
	t0=$(ms)
	kill -INT "$RUNNER"
	wait_runner 10
	[ $(($(ms) - t0)) -lt 5000 ]
	[ "$RC" = 130 ]
	[ "$(count_state q cur)" = 0 ]
	[ "$(count_all)" = 4 ]
	[ "$(grep -c ' returned .*signal 9' runner.err)" = 2 ]
}

@test "a clean stop hands back a claim on its last attempt without killing it" {
	spool init q --max-attempts 1
	spool push q -m last
	start_runner q --grace 100ms -- sh -c 'touch started; sleep 30'
	wait_for '[ -f started ]'
	kill -TERM "$RUNNER"
	wait_runner 10
	[ "$(count_state q dead)" = 0 ]
	[ "$(count_state q cur)" = 0 ]
	run -0 spool run q --quiet -- true
	[ "$(count_all)" = 0 ]
}

@test "Ctrl-C reaches the runner, not its jobs: they finish and nothing stays leased" {
	require_cmd setsid
	for i in $(seq 4); do spool push q -m "$i"; done
	# In a session of its own, the runner leads the foreground group a
	# terminal would send SIGINT to; each job has a group of its own.
	setsid spool run q -j 2 --grace 10s -- \
	    sh -c 'trap "echo hit >>ints; exit 1" INT; touch "run.$SPOOL_ID"; sleep 0.5' \
	    >runner.out 2>runner.err 3>&- &
	RUNNER=$!
	wait_for '[ $(ls | grep -c "^run\.") -ge 2 ]'
	kill -INT -- "-$RUNNER"
	wait_runner 10
	[ "$RC" = 130 ]
	[ ! -e ints ]
	[ "$(count_state q cur)" = 0 ]
	[ "$(grep -c ' ok ' runner.err)" = 2 ]
	[ "$(count_state q new)" = 2 ]
}

@test "SIGKILL of the runner loses nothing: its claims come back after one lease" {
	for i in $(seq 6); do spool push q -m "$i"; done
	start_runner q -j 2 --lease 1s -- sh -c 'echo "$(cat)" >"got.$SPOOL_ID"; touch "run.$SPOOL_ID"; sleep 0.5'
	wait_for '[ $(ls | grep -c "^run\.") -ge 2 ]'
	kill -KILL "$RUNNER"
	wait_runner 5
	claimed=$(count_state q cur)
	[ "$claimed" -ge 1 ]
	# After the lease (and the skew allowed), any scan reclaims them.
	wait_for 'spool gc q >/dev/null && [ "$(count_state q cur)" = 0 ]' 10
	[ "$(count_all)" -ge 4 ]
	run -0 spool run q -j 2 --quiet -- sh -c 'echo "$(cat)" >"got.$SPOOL_ID"'
	[ "$(count_all)" = 0 ]
	# Every payload was delivered.
	[ "$(cat got.* | sort -n | tr '\n' ' ')" = "1 2 3 4 5 6 " ]
}

@test "two runners on one queue run every message exactly once" {
	seq 150 | spool push q -l >/dev/null
	# One write per line, so that concurrent appends do not interleave.
	spool run q -j 2 --quiet -- sh -c 'echo "$(cat)" >>ledger1' 3>&- &
	a=$!
	spool run q -j 2 --quiet -- sh -c 'echo "$(cat)" >>ledger2' 3>&- &
	b=$!
	wait "$a"
	wait "$b"
	[ "$(count_all)" = 0 ]
	[ "$(cat ledger1 ledger2 | sort -n | uniq | wc -l)" = 150 ]
	[ "$(cat ledger1 ledger2 | wc -l)" = 150 ]
	# Both took part.
	[ -s ledger1 ] && [ -s ledger2 ]
}

@test "--follow runs what is pushed later, within milliseconds, without polling" {
	spool init q
	# The time lands in its file in one rename, never half-written.
	start_runner q --follow -- sh -c 'p=$(cat); date +%s%3N >"t.$p"; mv "t.$p" "done.$p"'
	# The runner is idle and armed: it holds an inotify watch.
	wait_for 'ls -l /proc/$RUNNER/fd 2>/dev/null | grep -q inotify'
	for i in 1 2 3; do
		t0=$(ms)
		spool push q -m "$i" >/dev/null
		wait_for "[ -f done.$i ]" 5
		lat=$(($(cat "done.$i") - t0))
		echo "push $i: ${lat} ms" >&3
		[ "$lat" -lt 500 ]
	done
	# Idle, it does not spin.
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$RUNNER/stat")
	sleep 1
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$RUNNER/stat")
	[ $((cpu1 - cpu0)) -le 5 ]
	kill -TERM "$RUNNER"
	wait_runner 5
	[ "$RC" = 143 ]
	[ "$(count_all)" = 0 ]
}

@test "--follow wakes when a delayed message falls due" {
	spool init q
	start_runner q --follow -- sh -c 'date +%s%3N >t; mv t done'
	wait_for 'ls -l /proc/$RUNNER/fd 2>/dev/null | grep -q inotify'
	t0=$(ms)
	spool push q --delay 1s -m later >/dev/null
	wait_for '[ -f done ]' 5
	lat=$(($(cat done) - t0))
	[ "$lat" -ge 900 ] && [ "$lat" -lt 3000 ]
	kill -INT "$RUNNER"
	wait_runner 5
	[ "$RC" = 130 ]
}

@test "--follow with --max exits after N messages" {
	spool init q
	start_runner q --follow --max 2 -- true
	wait_for 'ls -l /proc/$RUNNER/fd 2>/dev/null | grep -q inotify'
	spool push q -m 1 -m 2 -m 3 >/dev/null
	wait_runner 10
	[ "$RC" = 0 ]
	[ "$(count_all)" = 1 ]
}

@test "a failed nack is an I/O error: run exits 5 and claims nothing more" {
	require_root
	require_cmd chattr
	spool init q --backoff 1h:1h
	for i in 1 2 3; do spool push q -m "$i"; done
	# An immutable retry/ refuses the rename (EPERM), even to root.
	chattr +i "$SPOOL_DIR/q/retry" 2>/dev/null ||
	    skip "chattr +i is not supported on this filesystem"
	echo "$SPOOL_DIR/q/retry" >immutable
	run -5 --separate-stderr spool run q -- false
	chattr -i "$SPOOL_DIR/q/retry"
	[[ "$stderr" == *"spool: run: q: "*": nack: "* ]]
	[ "$(count_state q new)" = 2 ]
}

@test "a command that stops being runnable hands its message back and exits 5" {
	spool init q --backoff 1h:1h
	for i in 1 2 3; do spool push q -m "$i"; done
	printf '#!/bin/sh\nchmod -x "$0"\n' >job
	chmod +x job
	run -5 --separate-stderr spool run q -- ./job
	[[ "$stderr" == *"cannot run ./job: Permission denied"* ]]
	[ "$(count_state q cur)" = 0 ]
	# One ran; the next was handed back due now; one was never claimed.
	[ "$(count_state q new)" = 1 ]
	[ "$(count_all)" = 2 ]
}
