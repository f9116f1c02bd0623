#!/usr/bin/env bats
# spool list: one line or JSON object per message, streamed; list --queues.

load helper

ID_RE='^[0-9a-z]{31}$'
ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# The ID a token names (its file name's first 31 characters).
token_id() {
	local base=${1##*/}
	echo "${base:0:31}"
}

@test "list prints one line per message, ID first, new before retry" {
	spool push q -m one -m two >ids
	spool push q --delay 1h -m later >>ids
	run -0 --separate-stderr spool list q
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 3 ]
	mapfile -t want <ids
	[[ "${lines[0]}" == "${want[0]} new "* ]]
	[[ "${lines[1]}" == "${want[1]} new "* ]]
	[[ "${lines[2]}" == "${want[2]} retry "* ]]
	# Fields: ID STATE ATTEMPTS AGE DEADLINE SIZE.
	read -r id state att age dl size <<<"${lines[0]}"
	[ "$att" = 0 ] && [ "$dl" = - ] && [ "$size" = 3 ]
	[[ "$age" =~ ^[0-9]+m?s$ ]]
	read -r id state att age dl size <<<"${lines[2]}"
	[[ "$dl" =~ ^\+59m[0-9]+s$ ]] && [ "$size" = 5 ]
}

@test "list shows a leased message's deadline in cur" {
	spool push q -m x >/dev/null
	spool pop q --lease 10m >/dev/null
	run -0 spool list q
	read -r id state att age dl size <<<"$output"
	[ "$state" = cur ] && [ "$att" = 1 ]
	[[ "$dl" =~ ^\+9m[0-9]+s$ ]]
}

@test "list on an empty queue prints nothing and exits 0" {
	spool init q
	run -0 --separate-stderr spool list q
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 spool list q --json
	[ "$output" = "[]" ]
}

@test "list shows a dead message's reason, escaped on one line" {
	spool push q -m x >/dev/null
	tok=$(spool pop q)
	spool nack "$tok" --dead --reason "$(printf 'exit 3\nsecond\033[31m')"
	run -0 spool list q
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == "$(token_id "$tok") dead "* ]]
	[[ "$output" == *"exit 3\\nsecond\\033[31m" ]]
	[[ "$output" != *$'\033'* ]]
}

@test "list --json is an array of objects with the documented fields" {
	require_cmd jq
	spool push q -m doomed >/dev/null
	tok=$(spool pop q)
	spool nack "$tok" --dead --reason 'bad "input"'
	spool push q -m abc >/dev/null
	spool push q --delay 5m -m later >/dev/null
	run -0 spool list q --json
	echo "$output" | jq -e 'type == "array" and length == 3'
	echo "$output" | jq -e --arg re "$ID_RE" --arg iso "$ISO_RE" '
	    all(.[]; (.id | test($re)) and (.attempts | type) == "number"
		and (.size | type) == "number" and (.priority == 5)
		and (.enqueued | test($iso)) and (.age_s | type) == "number"
		and (.enqueued_ms | type) == "number"
		and (.host | test("^[0-9a-f]{6}$")))'
	echo "$output" | jq -e '[.[].state] == ["new", "retry", "dead"]'
	echo "$output" | jq -e '.[0].size == 3 and .[0].deadline == null
	    and .[0].reason == null'
	echo "$output" | jq -e --arg iso "$ISO_RE" '.[1].deadline | test($iso)'
	echo "$output" | jq -e '.[1].deadline_ms - .[1].enqueued_ms >= 299000'
	echo "$output" | jq -e '.[2].attempts == 1
	    and (.[2].reason | endswith("bad \"input\""))'
}

@test "list --state filters by state and takes a comma list" {
	spool push q -m a >/dev/null
	spool push q --delay 1h -m b >/dev/null
	spool push q -m c >/dev/null
	spool pop q >/dev/null
	run -0 spool list q --state retry
	[ "${#lines[@]}" = 1 ] && [[ "$output" == *" retry "* ]]
	run -0 spool list q --state new,cur
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" == *" new "* ]] && [[ "${lines[1]}" == *" cur "* ]]
	run -0 spool list q -s dead
	[ -z "$output" ]
}

@test "list -n stops after N messages, in text and JSON" {
	require_cmd jq
	seq 10 | spool push q -l >/dev/null
	run -0 spool list q -n 3
	[ "${#lines[@]}" = 3 ]
	run -0 spool list q --limit 4 --json
	echo "$output" | jq -e 'length == 4'
}

@test "list prints a header only on a terminal" {
	require_cmd script
	spool push q -m a >/dev/null
	run -0 script -qec "spool list q" /dev/null
	[[ "${lines[0]}" == ID*STATE*ATT*AGE*DEADLINE*SIZE*REASON* ]]
	[ "${#lines[@]}" = 2 ]
	run -0 spool list q
	[ "${#lines[@]}" = 1 ]
}

@test "list skips and reports planted entries, never lists them" {
	spool push q -m real >/dev/null
	leaf=$(dirname "$(find "$SPOOL_DIR/q/new" -type f)")
	ln -s /etc/passwd "$leaf/0000000000000000000000000000000.a0.s5"
	touch "$leaf/junk name"
	run -0 --separate-stderr spool list q
	[ "${#lines[@]}" = 1 ]
	[[ "$output" != *0000000000000000000000000000000* ]]
	[[ "$stderr" == *"spool: list: q: "* ]]
}

@test "list --queues prints the queues under the default root only" {
	spool init beta
	spool init alpha
	mkdir -p "$SPOOL_DIR/not-a-queue/new" "$SPOOL_DIR/.hidden"
	touch "$SPOOL_DIR/a-file"
	run -0 --separate-stderr spool list --queues
	[ "$output" = $'alpha\nbeta' ]
	[ -z "$stderr" ]
}

@test "list --queues --json is an array of names" {
	require_cmd jq
	spool init b
	spool init a
	run -0 spool list --queues --json
	echo "$output" | jq -e '. == ["a", "b"]'
}

@test "list --queues with no queue root prints nothing and exits 0" {
	run -0 --separate-stderr spool list --queues
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 spool list --queues --json
	[ "$output" = "[]" ]
}

@test "list finds queues under XDG_STATE_HOME when SPOOL_DIR is unset" {
	unset SPOOL_DIR
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
	spool init xq
	run -0 spool list --queues
	[ "$output" = xq ]
}

@test "list rejects bad arguments with exit 2 and the synopsis" {
	spool init q
	run -2 --separate-stderr spool list
	[[ "$stderr" == *"usage: spool list"* ]]
	run -2 --separate-stderr spool list q --state bogus
	[[ "$stderr" == *"spool: list: --state: unknown state in 'bogus'"* ]]
	run -2 spool list q --state new,,dead
	run -2 spool list q -n 0
	run -2 spool list q -n x
	run -2 spool list q -n -1
	run -2 spool list q other
	run -2 spool list --queues q
	run -2 spool list q --bogus
}

@test "list of a missing queue exits 4 and names it" {
	run -4 --separate-stderr spool list nosuch
	[[ "$stderr" == "spool: list: nosuch: "* ]]
	touch "$BATS_TEST_TMPDIR/plain"
	run -4 spool list "$BATS_TEST_TMPDIR/plain"
}

@test "list to a full device fails with exit 5" {
	[ -w /dev/full ] || skip "needs /dev/full"
	spool push q -m a >/dev/null
	run -5 --separate-stderr bash -c 'spool list q >/dev/full'
	[[ "$stderr" == *"spool: list: write error"* ]]
	seq 200 | spool push q -l --no-sync >/dev/null # beyond stdio's buffer
	run -5 --separate-stderr bash -c 'spool list q --json >/dev/full'
	[ "$(grep -c 'write error' <<<"$stderr")" = 1 ]
}

@test "list while others push and pop: messages that stay are listed once" {
	# 200 delayed messages stay in retry/ the whole time; new/ and cur/
	# churn under a producer and a consumer.
	seq 200 | spool push q -l --delay 1h >still
	sort still >still.sorted
	touch go
	(
		i=0
		while [ -e go ] && [ $i -lt 400 ]; do
			seq 20 | spool push q -l >/dev/null
			i=$((i + 1))
		done
	) 3>&- &
	producer=$!
	(
		while [ -e go ]; do spool pop q -n 10 --ack >/dev/null || :; done
	) 3>&- &
	consumer=$!
	for round in 1 2 3 4 5 6; do
		spool list q >out.$round
		grep -Ev '^[0-9a-f]{31} (new|cur|retry|dead) +[0-9]+ +[-0-9a-z]+ +[-+0-9a-z]+ +[0-9]+$' \
		    out.$round && false
		awk '$2 == "retry" { print $1 }' out.$round | sort >got
		cmp got still.sorted
	done
	rm go
	wait "$producer" "$consumer"
}
