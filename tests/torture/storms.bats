#!/usr/bin/env bats
# storms.bats: family F.  Many producers and consumers on one queue, on
# tmpfs; see storm for what each worker does and keeps in the ledgers.
# F1 must deliver and ack every message exactly once.  F2 and F3 kill
# every process with kill -9 -- -PGID every 50-300 ms, restart them, then
# recover (gc and drain, two hours later by libfaketime) and check I1-I8
# with an inode observer.  The control runs F2 with renames turned into
# copies: the observer must see it.

load ../helper
load torture

setup() {
	tt_setup
	D=$(tt_fastdir)
}

@test "F1: 4 producers x 4 consumers (single, -l and delayed pushes) deliver each message exactly once" {
	local n=200
	[ "$TT_LONG" = 1 ] && n=2500
	"$TT/storm" -l -p 4 -c 4 -n "$n" "$D"
}

@test "F2: kill -9 storms of producers, consumers, spool run and gc lose nothing" {
	require_cmd setsid
	local d=6
	[ "$TT_LONG" = 1 ] && d=300
	"$TT/storm" -k -p 3 -c 3 -r 1 -d "$d" "$D"
}

@test "F3: kill -9 storms with push -l batches and delayed pushes lose nothing" {
	require_cmd setsid
	local d=4
	[ "$TT_LONG" = 1 ] && d=300
	"$TT/storm" -k -l -p 3 -c 2 -r 1 -d "$d" "$D"
}

@test "F control: the same storm with rename as copy+delete breaks I4" {
	require_cmd setsid
	export LD_PRELOAD="$TTB/copyrename.so"
	run -1 "$TT/storm" -k -p 2 -c 2 -d 3 "$D"
	unset LD_PRELOAD
	[[ "$output" == *"checkq: I4 "*"copied: inode"* ]]
}
