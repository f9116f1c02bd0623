#!/usr/bin/env bats
# spool kick: dead (or waiting) messages back to new/, attempts reset.

load helper

# Pushes message $1 to q and leaves it dead; prints its ID.
make_dead() {
	local id
	id=$(spool push q -m "$1")
	spool nack "$(spool pop q)" --dead --reason "failed $1"
	echo "$id"
}

# State and attempts of message $1 in q, as "state attempts".
where() {
	spool list q | awk -v id="$1" '$1 == id { print $2, $3 }'
}

@test "kick ID moves a dead message to new, resets attempts, keeps history" {
	id=$(make_dead one)
	[ "$(where "$id")" = "dead 1" ]
	run -0 --separate-stderr spool kick q "$id"
	[ "$output" = "kicked 1 message" ] && [ -z "$stderr" ]
	[ "$(where "$id")" = "new 0" ]
	run -0 spool show q "$id"
	[[ "$output" == *"attempt 1: failed one"* ]]
	# It is delivered again, as a first attempt.
	tok=$(spool pop q)
	[[ "${tok##*/}" == "$id".a1.* ]]
	[ "$(cat "$tok")" = one ]
}

@test "kick --all moves every dead message and prints how many" {
	make_dead a >/dev/null
	make_dead b >/dev/null
	make_dead c >/dev/null
	spool push q --delay 1h -m waiting >/dev/null
	run -0 spool kick q --all
	[ "$output" = "kicked 3 messages" ]
	[ "$(count_state q new)" = 3 ]
	[ "$(count_state q dead)" = 0 ]
	[ "$(count_state q retry)" = 1 ]
}

@test "kick --from retry moves waiting messages, not dead ones" {
	dead=$(make_dead d)
	waiting=$(spool push q --delay 1h -m w)
	run -0 spool kick q --all --from retry
	[ "$output" = "kicked 1 message" ]
	[ "$(where "$waiting")" = "new 0" ]
	[ "$(where "$dead")" = "dead 1" ]
}

@test "kick --from dead,retry moves both" {
	make_dead d >/dev/null
	spool push q --delay 1h -m w >/dev/null
	run -0 spool kick q --all --from dead,retry
	[ "$output" = "kicked 2 messages" ]
	[ "$(count_state q new)" = 2 ]
}

@test "kick of an ID that is not dead names it, moves the others, exits 1" {
	dead=$(make_dead d)
	fresh=$(spool push q -m new)
	run -1 --separate-stderr spool kick q "$fresh" "$dead"
	[ "$stderr" = "spool: kick: q: $fresh: no such message in dead" ]
	[ "$output" = "kicked 1 message" ]
	[ "$(where "$dead")" = "new 0" ]
	run -1 --separate-stderr spool kick q "$dead" --from retry
	[ "$stderr" = "spool: kick: q: $dead: no such message in retry" ]
}

@test "kick --all with nothing to move prints 0 and exits 0" {
	spool init q
	run -0 spool kick q --all
	[ "$output" = "kicked 0 messages" ]
}

@test "kick --quiet prints nothing" {
	make_dead x >/dev/null
	run -0 spool kick q --all -q
	[ -z "$output" ]
	[ "$(count_state q new)" = 1 ]
}

@test "kick rejects bad arguments with exit 2 and moves nothing" {
	id=$(make_dead x)
	run -2 --separate-stderr spool kick q
	[[ "$stderr" == *"name the messages: ID... or --all"* ]]
	[[ "$stderr" == *"usage: spool kick"* ]]
	run -2 spool kick
	run -2 spool kick q "$id" --all
	run -2 spool kick q --all --from new
	run -2 spool kick q --all --from cur
	run -2 spool kick q --all --from bogus
	run -2 --separate-stderr spool kick q "$id" not-an-id
	[[ "$stderr" == "spool: kick: not-an-id: not a message ID"* ]]
	run -2 spool kick q --bogus
	[ "$(count_state q dead)" = 1 ]
}

@test "kick of a missing queue exits 4" {
	run -4 --separate-stderr spool kick nosuch --all
	[[ "$stderr" == "spool: kick: nosuch: "* ]]
}
