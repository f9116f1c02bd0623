#!/usr/bin/env bats
# valgrind.bats: the main commands under valgrind --leak-check=full: no
# invalid read or write, no use of uninitialised memory, no leak (definite
# or indirect) on the success paths and on the common failure paths.
# (ASan and UBSan cover the same code in tests/run's sanitizer pass;
# valgrind also sees the uninstrumented libraries the binary links.)

load ../helper
load torture

setup() {
	tt_setup
	require_cmd valgrind
	require_unsanitized "valgrind and ASan do not mix"
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

vg() {
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=99 --track-fds=no "$@"
}

@test "valgrind: push, pop, ack, list, stat: clean" {
	tortool gen 1 100000 >p
	run -0 vg spool push "$Q" <p
	run -0 vg spool pop "$Q"
	run -0 vg spool ack "$output"
	spool push "$Q" -m x >/dev/null
	run -0 vg spool list "$Q"
	run -0 vg spool stat "$Q"
}

@test "valgrind: push (-m, stdin, -l), pop, touch, nack, ack, list, stat, show, gc: clean" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	run -0 vg spool push "$Q" -m hello
	tortool gen 1 100000 >p
	run -0 vg spool push "$Q" --priority 7 <p
	tortool lines 1 200 40 >l
	run -0 vg spool push "$Q" -l <l
	run -0 vg spool push "$Q" --delay 1h -m later
	id=$output
	run -0 vg spool pop "$Q" -n 3
	tok=${lines[0]}
	run -0 vg spool touch "$tok" --lease 1h
	tok=${output:-$tok}
	run -0 vg spool nack "$tok" --reason "once" --delay 0
	tok=$(spool pop "$Q")
	run -0 vg spool ack "$tok"
	run -0 vg spool list "$Q"
	run -0 vg spool list "$Q" --json
	run -0 vg spool stat "$Q"
	run -0 vg spool stat "$Q" --json
	run -0 vg spool show "$Q" "$id"
	run -0 vg spool gc "$Q"
}

@test "valgrind: kick, purge, export and import: clean" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	for m in a b c; do spool push "$Q" -m $m >/dev/null; done
	tok=$(spool pop "$Q")
	spool nack "$tok" --dead --reason gone >/dev/null
	run -0 vg spool kick "$Q" --all
	run -0 vg spool export "$Q" -o a.tar.gz
	spool init "$BATS_TEST_TMPDIR/r" >/dev/null
	run -0 vg spool import "$BATS_TEST_TMPDIR/r" -i a.tar.gz --quiet
	run -0 vg spool purge "$Q" --state new
}

@test "valgrind: run -j 2 over a few messages: clean" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	for s in 1 2 3 4; do tt_push "$Q" "$s" 100; done
	run -0 vg spool run "$Q" -j 2 --quiet -- cat
}

@test "valgrind: failure paths (empty, stale, no queue, usage, bad config): clean" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	run -1 vg spool pop "$Q"
	spool push "$Q" -m x >/dev/null
	tok=$(spool pop "$Q")
	spool ack "$tok"
	run -3 vg spool ack "$tok"
	run -4 vg spool pop "$BATS_TEST_TMPDIR/none"
	run -2 vg spool push "$Q" --priority 12 -m x
	echo "lease forever" >"$Q/config"
	run -4 vg spool push "$Q" -m x
}
