#!/usr/bin/env bats
# protocol.bats: family C, protocol lint.  Each command that makes a
# promise runs under strace -y; lint (see there) reads the trace and
# checks the order the promise rests on: tmp file created exclusively
# from a directory descriptor, made durable after its last write and
# before its rename, renamed without replacing, and every directory that
# gained an entry fsynced before the ID reaches standard output or the
# command exits 0.  Negative controls prove the lint can see a missing
# fsync: eatmydata, the nodirsync.so shim and push --no-sync must fail it.

load ../helper
load torture

setup() {
	tt_setup
	require_strace_inject
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

lint_ok() {
	run -0 "$TT/lint" "$1"
}

@test "C: push -m follows the protocol" {
	tt_trace tr spool push "$Q" -m hello
	lint_ok tr
}

@test "C: push from stdin with --delay (into retry/) follows the protocol" {
	tortool gen 1 100000 >p
	tt_trace tr spool push "$Q" --delay 1h <p
	lint_ok tr
	[ "$(tt_files "$Q" retry)" = 1 ]
}

@test "C: push -l and push -l -0 (group commit) follow the protocol" {
	tortool lines 1 50 30 >l
	tt_trace tr spool push "$Q" -l <l
	lint_ok tr
	tortool lines 100 20 30 -0 >l0
	tt_trace tr0 spool push "$Q" -l -0 <l0
	lint_ok tr0
	[ "$(tt_files "$Q" new)" = 70 ]
}

@test "C: nack and nack --dead follow the protocol" {
	spool push "$Q" -m a >/dev/null
	spool push "$Q" -m b >/dev/null
	tok=$(spool pop "$Q")
	tt_trace tr spool nack "$tok" --delay 1h --reason "try later"
	lint_ok tr
	tok=$(spool pop "$Q")
	tt_trace tr2 spool nack "$tok" --dead --reason hopeless
	lint_ok tr2
	[ "$(tt_files "$Q" dead)" = 1 ]
}

@test "C: kick follows the protocol" {
	spool push "$Q" -m a >/dev/null
	tok=$(spool pop "$Q")
	spool nack "$tok" --dead >/dev/null
	tt_trace tr spool kick "$Q" --all
	lint_ok tr
	[ "$(tt_files "$Q" new)" = 1 ]
}

@test "C: ack unlinks exactly its token and nothing else" {
	for m in a b c; do spool push "$Q" -m $m >/dev/null; done
	tok=$(spool pop "$Q")
	tt_trace tr spool ack "$tok"
	# One unlink in the four message trees (info/, the history, aside).
	run -0 grep -cE "unlinkat\([0-9]+<$Q/(new|cur|retry|dead)[/>]" tr
	[ "$output" = 1 ]
	run -0 grep -E "unlinkat\([0-9]+<$Q/(new|cur|retry|dead)[/>]" tr
	[[ "$output" == *"unlinkat("*"<$Q/cur>, \"${tok##*/}\", 0) = 0" ]]
	[ "$(tt_files "$Q" new)" = 2 ]
}

@test "C control: push under eatmydata fails the lint (file not fsynced)" {
	local emd
	emd=$(dpkg -L libeatmydata1 2>/dev/null | grep 'libeatmydata.so$' | head -n 1)
	[ -n "$emd" ] || skip "needs eatmydata (apt-get install eatmydata)"
	tt_trace tr env LD_PRELOAD="$emd" spool push "$Q" -m hello
	run -1 "$TT/lint" tr
	[[ "$output" == *"before it was fsynced"* ]]
}

@test "C control: push with a faked directory fsync (nodirsync.so) fails the lint" {
	tt_trace tr env LD_PRELOAD="$TTB/nodirsync.so" spool push "$Q" -m hello
	run -1 "$TT/lint" tr
	[[ "$output" == *"wrote to standard output before the directory $Q/new/"* ]]
}

@test "C control: push --no-sync fails the lint, as documented" {
	tt_trace tr spool push "$Q" --no-sync -m hello
	run -1 "$TT/lint" tr
	[[ "$output" == *"before it was fsynced"* ]]
}
