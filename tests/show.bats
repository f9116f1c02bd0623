#!/usr/bin/env bats
# spool show: every fact about a message, or its payload with --body.

load helper

ISO_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# The value of field $1 in $output ("key:  value" lines).
field() {
	sed -n "s/^$1: *//p" <<<"$output"
}

@test "show prints every fact of a new message" {
	id=$(spool push q --priority 7 -m hello)
	run -0 --separate-stderr spool show q "$id"
	[ -z "$stderr" ]
	[ "$(field id)" = "$id" ]
	[ "$(field state)" = new ]
	[ "$(field priority)" = 7 ]
	[ "$(field attempts)" = 0 ]
	[ "$(field size)" = 5 ]
	[ "$(field history)" = none ]
	[[ "$(field enqueued)" =~ ^$ISO_RE\ \([0-9]+m?s\ ago\)$ ]]
	[[ "$(field host)" =~ ^[0-9a-f]{6}$ ]]
	[ "$(field host)" = "${id: -6}" ]
	# New messages have neither a lease nor a due time.
	[ -z "$(field lease)" ] && [ -z "$(field due)" ]
}

@test "show prints the due time of a waiting message" {
	id=$(spool push q --delay 2h -m later)
	run -0 spool show q "$id"
	[ "$(field state)" = retry ]
	[[ "$(field due)" =~ ^$ISO_RE\ \(in\ 1h59m\)$ ]]
}

@test "show prints the lease deadline of a claimed message" {
	id=$(spool push q -m x)
	spool pop q --lease 30m >/dev/null
	run -0 spool show q "$id"
	[ "$(field state)" = cur ]
	[ "$(field attempts)" = 1 ]
	[[ "$(field lease)" =~ ^$ISO_RE\ \(in\ 29m[0-9]+s\)$ ]]
}

@test "show prints a dead message's history, one escaped line per failure" {
	spool init q --max-attempts 2
	id=$(spool push q -m x)
	spool nack "$(spool pop q)" --delay 0 --reason 'first try'
	spool nack "$(spool pop q)" --reason "$(printf 'second\ttry\033[2J')"
	run -0 spool show q "$id"
	[ "$(field state)" = dead ]
	[ "$(field attempts)" = 2 ]
	[ "${lines[-3]}" = "history:" ]
	[[ "${lines[-2]}" =~ ^\ \ [-0-9T:]+Z\ attempt\ 1:\ first\ try$ ]]
	[[ "${lines[-1]}" == *"attempt 2: second\\011try\\033[2J" ]]
	[[ "$output" != *$'\033'* ]]
}

@test "show of several IDs separates them with a blank line" {
	spool push q -m a -m b >ids
	mapfile -t ids <ids
	run -0 spool show q "${ids[@]}"
	[ "$(field id)" = "${ids[0]}"$'\n'"${ids[1]}" ]
	[ "$(grep -c '^$' <<<"$output")" = 1 ]
}

@test "show --body writes the payload byte for byte" {
	printf 'a\0b\377\r\nno newline' >payload
	id=$(spool push q <payload)
	spool show q "$id" --body >out
	cmp payload out
	id2=$(spool push q -m second)
	spool show q --body "$id" "$id2" >out2
	{ cat payload; printf second; } | cmp - out2
}

@test "show --body finds a message in any state" {
	id=$(spool push q -m claimed)
	spool pop q >/dev/null
	run -0 spool show q "$id" --body
	[ "$output" = claimed ]
}

@test "show --json gives the list fields and the history array" {
	require_cmd jq
	id=$(spool push q -m x)
	spool nack "$(spool pop q)" --dead --reason 'why "not"'
	run -0 spool show q "$id" --json
	echo "$output" | jq -e --arg id "$id" 'length == 1 and .[0].id == $id
	    and .[0].state == "dead" and .[0].attempts == 1 and .[0].size == 1'
	echo "$output" | jq -e '.[0].history | length == 1
	    and (.[0] | endswith("attempt 1: why \"not\""))'
}

@test "show names a missing ID, shows the others and exits 1" {
	id=$(spool push q -m x)
	missing=5000000000000000000000000000000
	run -1 --separate-stderr spool show q "$missing" "$id"
	[ "$stderr" = "spool: show: q: $missing: no such message" ]
	[ "$(field id)" = "$id" ]
	run -1 --separate-stderr spool show q "$missing" --body
	[ -z "$output" ]
}

@test "show refuses a malformed ID before printing anything" {
	id=$(spool push q -m x)
	run -2 --separate-stderr spool show q "$id" ../etc/passwd
	[ -z "$output" ]
	[[ "$stderr" == "spool: show: ../etc/passwd: not a message ID"* ]]
	run -2 spool show q "${id}x"
	run -2 spool show q "$(tr 0-9 A-J <<<"$id")"
}

@test "show rejects bad arguments with exit 2" {
	id=$(spool push q -m x)
	run -2 --separate-stderr spool show q
	[[ "$stderr" == *"usage: spool show"* ]]
	run -2 spool show
	run -2 spool show q "$id" --body --json
	run -2 spool show q "$id" --bogus
}

@test "show of a missing queue exits 4" {
	run -4 --separate-stderr spool show nosuch 5000000000000000000000000000000
	[[ "$stderr" == "spool: show: nosuch: "* ]]
}

@test "show --body to a full device fails with exit 5" {
	[ -w /dev/full ] || skip "needs /dev/full"
	head -c 200000 /dev/zero >big
	id=$(spool push q <big)
	run -5 bash -c "spool show q $id --body >/dev/full"
	run -5 bash -c "spool show q $id >/dev/full"
}
