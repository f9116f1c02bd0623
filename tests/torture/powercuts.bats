#!/usr/bin/env bats
# powercuts.bats: family D.  A power cut in the middle of pushes and a
# spool run, taken as a reflink copy of the inner filesystem's image (see
# powercut): every push acknowledged before the cut is there and whole,
# the copy recovers (gc, drain), also when the recovery's first fsync
# fails.  The control runs the producers without fsync (eatmydata) and
# must lose acknowledged messages.

load ../helper
load torture

setup() {
	tt_setup
	require_root
	require_cmd mkfs.xfs mkfs.ext4 e2fsck losetup
	D=$(mktemp -d "$BATS_TEST_TMPDIR/pc.XXXXXX")
}

@test "D: power cuts under pushes and run on ext4 lose no acknowledged message" {
	local n=4
	[ "$TT_LONG" = 1 ] && n=100
	"$TT/powercut" -c -f ext4 -n "$n" "$D"
}

@test "D: power cuts on xfs" {
	local n=2
	[ "$TT_LONG" = 1 ] && n=100
	"$TT/powercut" -f xfs -n "$n" "$D"
}

@test "D long: power cuts on ext4 data=writeback,commit=1" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	"$TT/powercut" -f ext4 -o data=writeback,commit=1 -n 100 "$D"
}

@test "D control: producers without fsync (eatmydata) lose acknowledged messages" {
	run -1 "$TT/powercut" -e -f ext4 -n 3 "$D"
	[[ "$output" == *"checkq: I"[13]* ]]
}
