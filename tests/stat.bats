#!/usr/bin/env bats
# spool stat: counts, bytes, ages, rates; table, JSON, Prometheus, ages
# histogram and the live view.
# tests/run: no-sanitizer (the live view is driven through tmux, slow under
# ASan; the iterator and stat code are exercised by list, gc and the units)

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

# Queue q with 2 new (3 and 4 bytes), 1 leased, 1 waiting, 1 dead.
fill_q() {
	spool push q -m dead1 >/dev/null
	spool nack "$(spool pop q)" --dead --reason gone
	spool push q -m leased >/dev/null
	spool pop q --lease 10m >/dev/null
	spool push q -m abc -m abcd >/dev/null
	spool push q --delay 1h -m later >/dev/null
}

# Every line of $1 must be a HELP, TYPE or sample line of the text
# exposition format; a family's TYPE precedes its samples, once.
check_prometheus() {
	local line name seen=" "
	# NAME{LABEL="VALUE"[,LABEL="VALUE"]...} NUMBER; in a value only \\,
	# \" and \n are escapes and a bare " or \ cannot appear.
	local value='"([^"\\]|\\["\\n])*"'
	local sample_re="^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{[a-zA-Z_][a-zA-Z0-9_]*=$value(,[a-zA-Z_][a-zA-Z0-9_]*=$value)*\\}\ -?[0-9]+(\\.[0-9]+)?\$"
	while IFS= read -r line; do
		if [[ "$line" =~ ^#\ HELP\ [a-zA-Z_:][a-zA-Z0-9_:]*\ .+$ ]]; then
			continue
		elif [[ "$line" =~ ^#\ TYPE\ ([a-zA-Z_:][a-zA-Z0-9_:]*)\ gauge$ ]]; then
			name=${BASH_REMATCH[1]}
			[[ "$seen" != *" $name "* ]] || { echo "TYPE twice: $line"; return 1; }
			seen="$seen$name "
		elif [[ "$line" =~ $sample_re ]]; then
			name=${BASH_REMATCH[1]}
			[[ "$seen" == *" $name "* ]] || { echo "no TYPE before: $line"; return 1; }
		else
			echo "bad line: $line"
			return 1
		fi
	done <<<"$1"
}

@test "stat QUEUE prints counts per state and bytes below them" {
	fill_q
	run -0 --separate-stderr spool stat q
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[0]}" =~ ^QUEUE\ +NEW\ +CUR\ +RETRY\ +DEAD\ +OLDEST\ +NEXT\ +PUSH/S\ +DONE/S$ ]]
	read -r name new cur retry dead oldest next push done <<<"${lines[1]}"
	[ "$name $new $cur $retry $dead" = "q 2 1 1 1" ]
	[[ "$oldest" =~ ^[0-9]+m?s$ ]]
	[[ "$next" =~ ^59m[0-9]+s$ ]]
	[ "$push $done" = "- -" ]
	read -r label b_new b_cur b_retry b_dead <<<"${lines[2]}"
	[ "$label $b_new $b_cur $b_retry $b_dead" = "bytes 7B 6B 5B 5B" ]
}

@test "stat --json has the documented schema" {
	require_cmd jq
	fill_q
	run -0 spool stat q --json
	echo "$output" | jq -e 'type == "array" and length == 1'
	echo "$output" | jq -e '.[0] | .queue == "q" and .new == 2
	    and .cur == 1 and .retry == 1 and .dead == 1 and .due == 2'
	echo "$output" | jq -e '.[0].bytes == {"new": 7, "cur": 6,
	    "retry": 5, "dead": 5}'
	echo "$output" | jq -e '.[0] | (.oldest_due_age_s | type) == "number"
	    and .oldest_due_age_s >= 0 and .next_retry_s > 3500
	    and .next_retry_s <= 3600'
	echo "$output" | jq -e '.[0] | .push_rate == null
	    and .done_rate == null and .rate_interval_s == null'
	echo "$output" | jq -e '.[0] | has("ages") | not'
}

@test "stat of an empty queue has null ages" {
	require_cmd jq
	spool init q
	run -0 spool stat q --json
	echo "$output" | jq -e '.[0] | .new == 0 and .due == 0
	    and .oldest_due_age_s == null and .next_retry_s == null'
	run -0 spool stat q
	read -r name new cur retry dead oldest next push done <<<"${lines[1]}"
	[ "$oldest $next" = "- -" ]
}

@test "stat without QUEUE covers every queue under the default root" {
	require_cmd jq
	spool push b -m x >/dev/null
	spool push a -m x -m y >/dev/null
	mkdir -p "$SPOOL_DIR/junk"
	run -0 --separate-stderr spool stat --json
	[ -z "$stderr" ]
	echo "$output" | jq -e '[.[] | [.queue, .new]] == [["a", 2], ["b", 1]]'
	run -0 spool stat
	[ "${#lines[@]}" = 5 ]
	[[ "${lines[1]}" == "a "* ]] && [[ "${lines[3]}" == "b "* ]]
}

@test "stat with no queues at all prints an empty report and exits 0" {
	require_cmd jq
	run -0 --separate-stderr spool stat
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 spool stat --json
	[ "$output" = "[]" ]
	run -0 spool stat --prometheus
	check_prometheus "$output"
	[[ "$output" != *"{"* ]]
}

@test "stat --prometheus follows the exposition format" {
	fill_q
	spool push other -m x >/dev/null
	run -0 --separate-stderr spool stat --prometheus
	[ -z "$stderr" ]
	check_prometheus "$output"
	grep -Fxq 'spool_messages{queue="q",state="new"} 2' <<<"$output"
	grep -Fxq 'spool_messages{queue="q",state="dead"} 1' <<<"$output"
	grep -Fxq 'spool_messages{queue="other",state="new"} 1' <<<"$output"
	grep -Fxq 'spool_bytes{queue="q",state="new"} 7' <<<"$output"
	grep -Fxq 'spool_due_messages{queue="q"} 2' <<<"$output"
	grep -Eq '^spool_oldest_due_age_seconds\{queue="q"\} [0-9]+\.[0-9]{3}$' <<<"$output"
	grep -Eq '^spool_next_retry_seconds\{queue="q"\} 3[0-9]{3}\.[0-9]{3}$' <<<"$output"
	# No retry pending in "other": no next-retry sample for it.
	! grep -q 'spool_next_retry_seconds{queue="other"}' <<<"$output"
	# No sample yet: no rates.
	! grep -q '^spool_push_rate' <<<"$output"
}

@test "stat --prometheus escapes label values" {
	dir="$BATS_TEST_TMPDIR/we\"ird\\name"
	spool init "$dir"
	spool push "$dir" -m x >/dev/null
	run -0 spool stat --prometheus "$dir"
	check_prometheus "$output"
	grep -Fq 'spool_messages{queue="'"$BATS_TEST_TMPDIR"'/we\"ird\\name",state="new"} 1' <<<"$output"
}

@test "stat rates count arrivals and departures since the last sample" {
	require_faketime
	require_cmd jq
	seq 5 | spool push q -l >/dev/null
	run -0 spool stat q --json
	echo "$output" | jq -e '.[0].push_rate == null'
	[ -f "$SPOOL_DIR/q/sample" ]
	# Ten pushed after the sample, three of the five before it done.
	seq 10 | spool push q -l >/dev/null
	spool pop q -n 3 --ack >/dev/null
	run -0 at_time '+10s' spool stat q --json
	echo "$output" | jq -e '.[0] | .rate_interval_s >= 10
	    and .rate_interval_s < 20'
	echo "$output" | jq -e '.[0] | (.push_rate * .rate_interval_s
	    | . > 9.9 and . < 10.1)'
	echo "$output" | jq -e '.[0] | (.done_rate * .rate_interval_s
	    | . > 2.9 and . < 3.1)'
	# The table shows them too, against the sample just stored.
	spool pop q -n 2 --ack >/dev/null
	run -0 at_time '+20s' spool stat q
	read -r name new cur retry dead oldest next push done <<<"${lines[1]}"
	[[ "$push" == 0.00 ]] && [[ "$done" =~ ^0\.[12][0-9]$ ]]
}

@test "stat keeps a sample younger than a second and gives no rate from it" {
	require_faketime
	require_cmd jq
	at() { at_time "@2030-01-01 00:00:$1 x0.001" "${@:2}"; }
	spool push q -m x >/dev/null
	at 00 spool stat q >/dev/null
	grep -qx 'time 1893456000000' "$SPOOL_DIR/q/sample"
	run -0 at 00.5 spool stat q --json
	echo "$output" | jq -e '.[0].push_rate == null'
	grep -qx 'time 1893456000000' "$SPOOL_DIR/q/sample"
	run -0 at 01 spool stat q --json
	echo "$output" | jq -e '.[0] | .push_rate == 0 and .done_rate == 0
	    and .rate_interval_s == 1'
	grep -qx 'time 1893456001000' "$SPOOL_DIR/q/sample"
	# A clock stepped back: no rate, and the sample starts again.
	run -0 at 00 spool stat q --json
	echo "$output" | jq -e '.[0].push_rate == null'
	grep -qx 'time 1893456000000' "$SPOOL_DIR/q/sample"
}

@test "stat ignores a garbage or planted sample and replaces it" {
	require_cmd jq
	spool push q -m x >/dev/null
	printf 'time banana\n' >"$SPOOL_DIR/q/sample"
	run -0 --separate-stderr spool stat q --json
	echo "$output" | jq -e '.[0].push_rate == null'
	grep -q '^new 1$' "$SPOOL_DIR/q/sample"
	rm "$SPOOL_DIR/q/sample"
	echo precious >target
	ln -s "$BATS_TEST_TMPDIR/target" "$SPOOL_DIR/q/sample"
	run -0 spool stat q --json
	echo "$output" | jq -e '.[0].push_rate == null'
	[ "$(cat target)" = precious ]
	[ ! -L "$SPOOL_DIR/q/sample" ]
}

@test "stat reports a queue it may only read, without storing a sample" {
	require_cmd jq
	spool push q -m x >/dev/null
	if [ "$(id -u)" = 0 ]; then
		require_cmd unshare
		run -0 --separate-stderr unshare -m sh -c '
		    mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		    spool stat q --json' sh "$SPOOL_DIR/q"
	else
		chmod a-w "$SPOOL_DIR/q"
		run -0 --separate-stderr spool stat q --json
		chmod u+w "$SPOOL_DIR/q"
	fi
	[ -z "$stderr" ]
	echo "$output" | jq -e '.[0].new == 1'
	[ ! -e "$SPOOL_DIR/q/sample" ]
}

@test "stat --ages sorts waiting messages into age buckets" {
	require_faketime
	require_cmd jq
	seq 3 | spool push q -l >/dev/null
	spool push q --delay 1h -m later >/dev/null
	at_time '-20m' spool push q -m older >/dev/null
	at_time '-5h' spool push q -m oldest >/dev/null
	spool pop q >/dev/null # the oldest, now leased: not waiting
	run -0 spool stat q --ages
	# The table, then the histogram (bats drops the blank line).
	[[ "${lines[1]}" =~ ^q\ +4\ +1\ +1\ +0\  ]]
	[ "${lines[3]}" = "q: 5 waiting (new and retry), by age" ]
	[[ "${lines[4]}" =~ ^\ \ 0-1m\ +4\ #{40}$ ]]
	[[ "${lines[5]}" =~ ^\ \ 1-5m\ +0$ ]]
	[[ "${lines[7]}" =~ ^\ \ 10-30m\ +1\ #{10}$ ]]
	[[ "${lines[10]}" =~ ^\ \ 4h\+\ +0$ ]]
	[ "${#lines[@]}" = 11 ]
	run -0 spool stat q --ages --json
	echo "$output" | jq -e '.[0].ages == {"0-1m": 4, "1-5m": 0,
	    "5-10m": 0, "10-30m": 1, "30m-1h": 0, "1-4h": 0, "4h+": 0}'
	run -0 spool stat q --ages --prometheus
	check_prometheus "$output"
	grep -Fxq 'spool_waiting_messages{queue="q",age="10-30m"} 1' <<<"$output"
}

@test "stat names a missing queue, exits 4, and still reports the others" {
	require_cmd jq
	spool push q -m x >/dev/null
	run -4 --separate-stderr spool stat nosuch q --json
	[[ "$stderr" == "spool: stat: nosuch: "* ]]
	echo "$output" | jq -e 'length == 1 and .[0].queue == "q"'
}

@test "stat rejects bad arguments with exit 2" {
	spool init q
	run -2 --separate-stderr spool stat q --json --prometheus
	[[ "$stderr" == *"usage: spool stat"* ]]
	run -2 spool stat q --watch --json
	run -2 spool stat q --watch --ages
	run -2 spool stat q --watch=soon
	run -2 spool stat q --watch=10ms
	run -2 spool stat q --bogus
	run -2 spool stat 'bad name!'
}

@test "stat to a full device fails with exit 5" {
	[ -w /dev/full ] || skip "needs /dev/full"
	spool init q
	run -5 bash -c 'spool stat q >/dev/full'
	run -5 bash -c 'spool stat --prometheus >/dev/full'
}

@test "stat --watch off a terminal prints plain frames until SIGINT" {
	spool push q -m x >/dev/null
	spool stat --watch=100ms q >frames 2>err 3>&- &
	pid=$!
	wait_for '[ "$(grep -c "^QUEUE" frames)" -ge 3 ]'
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" = 0 ]
	[ ! -s err ]
	! grep -q $'\033' frames
	grep -Eq '^q +1 +0 +0 +0 ' frames
}

# Starts "spool stat --watch" in a detached tmux session $1 (extra
# environment in $2) with exit status written to $1.status.
tmux_watch() {
	tmux -L "spool$$" new-session -d -s "$1" -x 120 -y 20 \
	    "env $2 SPOOL_DIR='$SPOOL_DIR' PATH='$PATH' spool stat --watch=200ms; echo \$? >'$BATS_TEST_TMPDIR/$1.status'; echo after; sleep 30"
}

tmux_screen() {
	tmux -L "spool$$" capture-pane -p -e -t "$1"
}

teardown() {
	tmux -L "spool$$" kill-server 2>/dev/null || :
}

@test "stat --watch on a terminal redraws in place and quits on q" {
	require_cmd tmux
	spool push q -m x >/dev/null
	tmux_watch w ""
	wait_for '[[ "$(tmux_screen w)" == *"(q to quit)"* ]]'
	wait_for '[[ "$(tmux_screen w)" =~ q\ +1\ +0\ +0\ +0 ]]'
	seq 4 | spool push q -l >/dev/null
	wait_for '[[ "$(tmux_screen w)" =~ q\ +5\ +0\ +0\ +0 ]]'
	# One frame on screen, not a scroll of them.
	[ "$(tmux_screen w | grep -c QUEUE)" = 1 ]
	# Bold header: colour is allowed here.
	[[ "$(tmux_screen w)" == *$'\033[1m'* ]]
	tmux -L "spool$$" send-keys -t w q
	wait_for '[ -s w.status ]'
	[ "$(cat w.status)" = 0 ]
	# Back on the main screen, where the shell printed "after".
	wait_for '[[ "$(tmux_screen w)" == after* ]]'
	[[ "$(tmux_screen w)" != *QUEUE* ]]
}

@test "stat --watch quits on Ctrl-C and honours NO_COLOR" {
	require_cmd tmux
	spool init q
	tmux_watch w NO_COLOR=1
	wait_for '[[ "$(tmux_screen w)" == *"(q to quit)"* ]]'
	[[ "$(tmux_screen w)" != *$'\033['*m* ]]
	tmux -L "spool$$" send-keys -t w C-c
	wait_for '[ -s w.status ]'
	[ "$(cat w.status)" = 0 ]
	wait_for '[[ "$(tmux_screen w)" == after* ]]'
}

@test "the exposition checker used here rejects malformed lines" {
	ok=$'# HELP m help\n# TYPE m gauge\nm{queue="a\\"b"} 1'
	check_prometheus "$ok"
	run -1 check_prometheus $'# TYPE m gauge\nm{queue="a"b"} 1'
	run -1 check_prometheus $'# TYPE m gauge\nm{queue="a\\b"} 1'
	run -1 check_prometheus $'m{queue="a"} 1'
	run -1 check_prometheus $'# TYPE m gauge\nm{queue="a"} x'
	run -1 check_prometheus $'# TYPE m gauge\n# TYPE m gauge'
}
