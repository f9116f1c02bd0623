#!/usr/bin/env bats
# checkq.bats: the oracle is tested before it judges anything.  Each test
# builds a queue by hand in the format of spool(5) (no spool involved),
# breaks one invariant, and checkq must name that invariant and the ID;
# the intact queue must pass.  A checker that cannot fail proves nothing.

load ../helper
load torture

setup() {
	tt_setup
	Q="$BATS_TEST_TMPDIR/q"
	mkdir -p "$Q"/{tmp,new,cur,retry,dead}
	echo 0 >"$BATS_TEST_TMPDIR/n"
}

# mkid: a fresh well-formed ID (priority 5, a time near now).  The count
# lives in a file: mkid runs in command substitutions.
mkid() {
	local N
	N=$(($(cat "$BATS_TEST_TMPDIR/n") + 1))
	echo "$N" >"$BATS_TEST_TMPDIR/n"
	printf '4%014x%010x%06x' $((1764200000000000 + N * 1000003)) "$N" 11259375
}

# mkmsg STATE SEQ [ATTEMPTS] [WHEN]: writes a message file in the right
# bucket; prints its ID.  WHEN is the lease deadline (cur) or due (retry).
mkmsg() {
	local state=$1 seq=$2 a=${3:-0} when=${4:-1764200000000} id t dir name
	id=$(mkid)
	"$TTB/tortool" gen "$seq" $((seq * 10)) >"$BATS_TEST_TMPDIR/payload"
	local size
	size=$(stat -c %s "$BATS_TEST_TMPDIR/payload")
	t=$((16#${id:1:14}))
	case $state in
	new | dead)
		dir=$(printf '%s/%s.%08x/%03x' "$state" "${id:0:1}" $((t >> 28)) \
		    $(((t >> 16) & 0xfff)))
		name="$id.a$a.s$size"
		;;
	cur)
		dir=cur
		name="$id.a$a.s$size.l$when"
		;;
	retry)
		t=$((when * 1000))
		dir=$(printf 'retry/%08x/%03x' $((t >> 28)) $(((t >> 16) & 0xfff)))
		name="$id.a$a.s$size.d$when"
		;;
	esac
	mkdir -p "$Q/$dir"
	mv "$BATS_TEST_TMPDIR/payload" "$Q/$dir/$name"
	echo "$id"
}

# A healthy queue: one message in each state, all in the ledger.
healthy() {
	local id
	id=$(mkmsg new 1) && echo "$id 1" >>"$LED/pushed"
	id=$(mkmsg cur 2 1) && echo "$id 2" >>"$LED/pushed"
	id=$(mkmsg retry 3 2) && echo "$id 3" >>"$LED/pushed"
	id=$(mkmsg dead 4 5) && echo "$id 4" >>"$LED/pushed"
}

@test "checkq passes a healthy queue and counts each state" {
	healthy
	run -0 tt_checkq "$Q"
	[ "$output" = "checkq: new=1 cur=1 retry=1 dead=1 tmp=0 foreign=0 ok" ]
}

@test "checkq: a pushed message that vanished breaks I1" {
	healthy
	id=$(mkid)
	echo "$id 9" >>"$LED/pushed"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I1 $id: pushed, never acked, gone"* ]]
}

@test "checkq: a vanished message that was acked or maybe acked is no loss" {
	healthy
	a=$(mkid) && b=$(mkid)
	echo "$a 9" >>"$LED/pushed" && echo "$a" >>"$LED/acked"
	echo "$b 10" >>"$LED/pushed" && echo "$b" >>"$LED/ackmaybe"
	run -0 tt_checkq "$Q"
}

@test "checkq: a message nobody pushed breaks I2, unless its seq is a maybe" {
	healthy
	id=$(mkmsg new 7)
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I2 $id: present but never pushed"* ]]
	echo "- 7" >>"$LED/maybe"
	run -0 tt_checkq "$Q"
}

@test "checkq: a truncated or resized payload breaks I3" {
	healthy
	f=$(find "$Q/new" -type f)
	truncate -s -1 "$f"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I3 "*"name says"* ]]
	# Fix the name, keep the short body: the payload check still fails.
	size=$(stat -c %s "$f")
	mv "$f" "${f%.s*}.s$size"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I3 "*"payload short"* ]]
}

@test "checkq: a payload swapped between two IDs breaks I3" {
	a=$(mkmsg new 1) && echo "$a 1" >>"$LED/pushed"
	b=$(mkmsg new 1) && echo "$b 2" >>"$LED/pushed"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I3 $b: "*"carries payload 1, pushed 2"* ]]
}

@test "checkq: one ID in two states breaks I4" {
	healthy
	f=$(find "$Q/new" -type f)
	id=$(tt_id "$f")
	cp "$f" "$Q/cur/${f##*/}.l1764200000000"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I4 $id: in two places"* ]]
}

@test "checkq: a hard-linked message breaks I4" {
	healthy
	f=$(find "$Q/dead" -type f)
	ln "$f" "$BATS_TEST_TMPDIR/extra"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I4 $(tt_id "$f"): "*"2 links"* ]]
}

@test "checkq: tmp/ leftovers beyond --tmp-max break I8" {
	healthy
	touch "$Q/tmp/a" "$Q/tmp/b"
	run -1 tt_checkq "$Q" --tmp-max 1
	[[ "$output" == *"checkq: I8 a: tmp/ leftover (2 > 1)"* ]]
	run -0 tt_checkq "$Q" --tmp-max 2
}

@test "checkq: a message in the wrong bucket or state breaks FORMAT" {
	id=$(mkmsg new 1) && echo "$id 1" >>"$LED/pushed"
	f=$(find "$Q/new" -type f)
	mkdir -p "$Q/new/4.00000000/000"
	mv "$f" "$Q/new/4.00000000/000/"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: FORMAT $id: "*"belongs in bucket"* ]]
	id2=$(mkmsg new 2 3) && echo "$id2 2" >>"$LED/pushed"
	run -1 tt_checkq "$Q" --no-buckets
	[[ "$output" == *"checkq: FORMAT $id2: "*"attempts in new/ not 0"* ]]
}

@test "checkq: planted non-messages break FORMAT unless --foreign-ok" {
	healthy
	ln -s /etc/passwd "$Q/cur/$(mkid).a1.s5.l1"
	mkfifo "$Q/new/fifo"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"not a regular file"* ]]
	[[ "$output" == *"new/fifo: not a bucket directory"* ]]
	run -0 tt_checkq "$Q" --foreign-ok
	[[ "$output" == *"foreign=2 ok" ]]
}

@test "checkq: an acked message still present breaks I5; --exact counts deliveries" {
	healthy
	f=$(find "$Q/new" -type f)
	id=$(tt_id "$f")
	echo "$id" >>"$LED/acked"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I5 $id: acked, yet present"* ]]
	rm "$f"
	printf '%s 1\n%s 1\n' "$id" "$id" >>"$LED/delivered"
	run -0 tt_checkq "$Q"
	run -1 tt_checkq "$Q" --exact
	[[ "$output" == *"checkq: I5 $id: delivered 2 times"* ]]
}

@test "checkq --observer: a new inode for an ID breaks I4, fewer attempts I7" {
	healthy
	id=$(mkid)
	printf '10 new/x/y/%s.a0.s5\n11 cur/%s.a1.s5.l9\n' "$id" "$id" \
	    >"$BATS_TEST_TMPDIR/obs"
	run -1 tt_checkq "$Q" --observer "$BATS_TEST_TMPDIR/obs"
	[[ "$output" == *"checkq: I4 $id: copied: inode 10 then 11"* ]]
	printf '12 cur/%s.a2.s5.l9\n12 retry/x/y/%s.a1.s5.d9\n' "$id" "$id" \
	    >"$BATS_TEST_TMPDIR/obs"
	run -1 tt_checkq "$Q" --observer "$BATS_TEST_TMPDIR/obs"
	[[ "$output" == *"checkq: I7 $id: attempts went from 2 to 1"* ]]
	run -0 tt_checkq "$Q" --observer "$BATS_TEST_TMPDIR/obs" --kicks
}

@test "tortool check: payloads verify; a flipped, cut or extended one fails" {
	"$TTB/tortool" gen 5 3000 >p
	run -0 "$TTB/tortool" check -v p
	[ "$output" = "OK p 5" ]
	cp p flip && printf 'X' | dd of=flip bs=1 seek=2000 conv=notrunc 2>/dev/null
	head -c 2000 p >cut
	cp p long && printf 'x' >>long
	: >empty
	run -1 "$TTB/tortool" check flip cut long empty
	[ "${lines[0]}" = "BAD flip: checksum" ]
	[ "${lines[1]}" = "BAD cut: short" ]
	[ "${lines[2]}" = "BAD long: long" ]
	[ "${lines[3]}" = "BAD empty: empty" ]
	"$TTB/tortool" lines 1 3 40 >lines
	[ "$(wc -l <lines)" = 3 ]
	head -n 2 lines | tail -n 1 | tr -d '\n' >l2
	run -0 "$TTB/tortool" check -v l2
	[ "$output" = "OK l2 2" ]
}

@test "checkq: a delivery of the wrong payload breaks I3; of a maybe seq, not I2" {
	healthy
	a=$(mkid) && b=$(mkid)
	echo "$a 20" >>"$LED/pushed" && echo "$a" >>"$LED/acked"
	echo "$a 21" >>"$LED/delivered"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I3 $a: delivered payload 21, pushed 20"* ]]
	sed -i '$d' "$LED/delivered"
	echo "$b 30" >>"$LED/delivered" && echo "$b" >>"$LED/acked"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I2 $b: delivered but never pushed"* ]]
	echo "- 30" >>"$LED/maybe"
	run -0 tt_checkq "$Q"
}

@test "checkq: a message whose push failed (ledger failed) breaks I2" {
	healthy
	id=$(mkmsg new 40)
	echo "- 40" >>"$LED/maybe"
	run -0 tt_checkq "$Q"
	echo "- 40" >>"$LED/failed"
	run -1 tt_checkq "$Q"
	[[ "$output" == *"checkq: I2 $id: "*"payload 40 of a push that failed"* ]]
}
