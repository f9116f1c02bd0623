#!/usr/bin/env bats
# handlers.bats: family J, the torture-grade cases of spool run (its
# everyday behaviour is tested in tests/run.bats): jobs that ignore
# SIGTERM, leave a daemon holding their output, flood stderr, are
# interrupted with the whole group, or find their message file swapped
# for a symlink after exec.  Every command runs under timeout(1): a hang
# is a failure, not a stuck suite.

load ../helper
load torture

setup() {
	tt_setup
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

# No process of ours whose command line contains $1 is left.
none_left() {
	local p
	for p in $(pgrep -f -- "$1"); do
		echo "# left behind: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
		kill -KILL "$p" 2>/dev/null
		return 1
	done
	return 0
}

@test "J: a job that ignores SIGTERM (and its children) is killed by group after the grace" {
	tt_push "$Q" 1 10
	SECONDS=0
	rc=0
	timeout 20 spool run "$Q" --timeout 1s --grace 1s --quiet -- \
	    sh -c 'trap "" TERM; sleep 997.25 & sleep 997.25; wait' \
	    >out 2>err || rc=$?
	echo "# run exited $rc after ${SECONDS}s"
	# 1: a job failed (spool(1) EXIT STATUS).
	[ "$rc" = 1 ]
	[ "$SECONDS" -lt 10 ]
	none_left 'sleep 997.25'
	# A timeout is a failure to retry: the message is back, attempt 1.
	[ "$(tt_files "$Q" retry)" = 1 ]
	[ -n "$(find "$Q/retry" -name '*.a1.*')" ]
	tt_checkq "$Q"
}

@test "J: a job that leaves a daemon holding its stdout and stderr: run acks and returns" {
	tt_push "$Q" 1 10
	SECONDS=0
	rc=0
	# (Not under "run": bats would wait for the daemon to close its pipe.)
	timeout 20 spool run "$Q" --quiet -- \
	    sh -c 'setsid sleep 299.75 </dev/null & exit 0' >out 2>err || rc=$?
	echo "# run exited $rc after ${SECONDS}s"
	local p
	for p in $(pgrep -f -- 'sleep 299.75'); do kill "$p"; done
	[ "$rc" = 0 ]
	[ "$SECONDS" -lt 10 ]
	[ "$(tt_files "$Q" new)$(tt_files "$Q" cur)$(tt_files "$Q" retry)$(tt_files "$Q" dead)" = 0000 ]
}

@test "J: a job that floods stderr: the runner's memory stays bounded, the reason is cut short" {
	[ -x /usr/bin/time ] || skip "needs /usr/bin/time (apt-get install time)"
	local mb=256
	[ "$TT_LONG" = 1 ] && mb=1024
	id=$(tortool gen 1 10 | spool push "$Q")
	rc=0
	timeout 60 /usr/bin/time -f '%M' -o rss spool run "$Q" --quiet -- \
	    sh -c "head -c ${mb}M /dev/zero | tr '\\0' x >&2; exit 100" \
	    >/dev/null 2>&1 || rc=$?
	rss=$(tail -n 1 rss)
	echo "# peak RSS of spool run: $rss KiB after ${mb} MiB of stderr"
	[ "$rc" = 1 ]
	[ "$rss" -lt 65536 ]
	[ "$(tt_files "$Q" dead)" = 1 ]
	run -0 spool show "$Q" "$id"
	[ "${#output}" -lt 16384 ]
	[[ "$output" == *xxxx* ]]
}

@test "J: a job that never reads its stdin does not hang the runner" {
	tortool gen 1 $((8 * 1048576)) | spool push "$Q" >/dev/null
	run -0 timeout 20 spool run "$Q" --quiet -- true
	[ "$(tt_files "$Q" new)$(tt_files "$Q" cur)" = 00 ]
}

@test "J: SIGINT to the runner's whole group leaves nothing leased" {
	require_cmd setsid
	local s
	for s in $(seq 1 12); do tt_push "$Q" "$s" 100; done
	cat >job <<EOF
#!/bin/sh
out=\$("$TTB/tortool" stdin) || exit 1
echo "\$SPOOL_ID \${out#OK - }" >>"$LED/delivered"
sleep 0.3
echo "\$SPOOL_ID" >>"$LED/ackmaybe"
EOF
	chmod +x job
	setsid spool run "$Q" -j 2 --grace 1s --quiet -- ./job 3>&- &
	pg=$!
	tt_track "$pg"
	wait_for "[ -s '$LED/delivered' ]" 10
	kill -INT -- "-$pg"
	rc=0
	timeout 20 tail --pid="$pg" -f /dev/null || rc=$?
	[ "$rc" = 0 ]
	# It dies of the signal once its messages are handed back.
	rc=0
	wait "$pg" || rc=$?
	[ "$rc" = 130 ]
	# Every claim was acked or handed back at once, not left to expire.
	[ "$(tt_files "$Q" cur)" = 0 ]
	tt_drain "$Q"
	tt_checkq "$Q"
}

@test "J: a job sees only fds 0-2 and the documented SPOOL_ variables" {
	tt_push "$Q" 1 10
	# The job is sleep itself (no shell to open descriptors of its own);
	# the test looks at it from outside while it runs.
	SPOOL_QUEUE=forged SPOOL_FILE=/etc/passwd SPOOL_ID=forged \
	    spool run "$Q" --quiet -- sleep 29.5 >out 2>err 3>&- &
	runner=$!
	tt_track "$runner"
	wait_for "pgrep -P $runner -x sleep >/dev/null" 10
	job=$(pgrep -P "$runner" -x sleep)
	tt_track "$job"
	run -0 ls /proc/"$job"/fd
	[ "$(echo $output)" = "0 1 2" ]
	run -0 sh -c "tr '\\0' '\\n' </proc/$job/environ | grep '^SPOOL_' | sort"
	echo "$output"
	[[ "$output" == *"SPOOL_ID=$(basename "$(find "$Q/cur" -type f)" | cut -c1-31)"* ]]
	[[ "$output" == *"SPOOL_ATTEMPT=1"* ]]
	[[ "$output" == *"SPOOL_QUEUE=$Q"* ]]
	[[ "$output" == *"SPOOL_FILE=$Q/cur/"* ]]
	[[ "$output" != *forged* ]] && [[ "$output" != *passwd* ]]
	kill "$job"
	wait "$runner" || true
}

@test "J: the message file swapped for a symlink after exec: stdin still holds the validated bytes" {
	require_strace_inject
	tortool gen 1 1000 >p
	spool push "$Q" <p >/dev/null
	strace -f -qq -o /dev/null -e trace=execve \
	    -e inject=execve:signal=STOP:when=1 \
	    spool run "$Q" --quiet -- sh -c 'exec cat >"$0"' "$PWD/got" 3>&- &
	st=$!
	tt_track "$st"
	# (strace arms the injection after the runner's own exec, and counts
	# per process: only the job's first exec stops, not its exec of cat.)
	wait_for "pgrep -P $st -x spool >/dev/null" 10
	runner=$(pgrep -P "$st" -x spool)
	tt_track "$runner"
	# Then the job, right after its exec.
	wait_for "pgrep -P $runner -x sh >/dev/null" 10
	job=$(pgrep -P "$runner" -x sh)
	tt_track "$job"
	wait_for "grep -q '^State:.*t ' /proc/$job/status 2>/dev/null" 10
	f=$(find "$Q/cur" -type f)
	[ -n "$f" ]
	rm "$f"
	ln -s /etc/passwd "$f"
	kill -CONT "$job"
	rc=0
	timeout 20 tail --pid="$st" -f /dev/null || rc=$?
	[ "$rc" = 0 ]
	cmp p got
}
