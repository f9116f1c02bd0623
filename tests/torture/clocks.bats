#!/usr/bin/env bats
# clocks.bats: family I.  Wall clocks jump, drift between hosts and pass
# 2038; spool(5) "Clocks" and "GUARANTEES" say what then holds: IDs stay
# unique and fixed-width, order follows the wall clock, a lease is
# trusted to SPOOL_SKEW_MS (1 s) of skew, and a touch never shortens a
# lease.  libfaketime moves the clock of one command at a time.

load ../helper
load torture

setup() {
	tt_setup
	require_faketime
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

# deadline TOKEN: the lease deadline (ms) a token's name carries.
deadline() {
	local n=${1##*.l}
	echo "$n"
}

@test "I: a clock set back an hour: IDs stay unique and order by the wall clock" {
	a=$(tortool gen 1 10 | spool push "$Q")
	b=$(tortool gen 2 10 | tt_faketime -1h spool push "$Q")
	c=$(tortool gen 3 10 | spool push "$Q")
	printf '%s 1\n%s 2\n%s 3\n' "$a" "$b" "$c" >>"$LED/pushed"
	[ "$a" != "$b" ] && [ "$b" != "$c" ] && [ "$a" != "$c" ]
	[ "${#a}" = 31 ] && [ "${#b}" = 31 ]
	# As spool(5) says: the message pushed "an hour ago" comes first.
	[[ "$b" < "$a" ]]
	t1=$(spool pop "$Q") && t2=$(spool pop "$Q") && t3=$(spool pop "$Q")
	[ "$(tt_id "$t1") $(tt_id "$t2") $(tt_id "$t3")" = "$b $a $c" ]
	tt_checkq "$Q"
}

@test "I: a clock that jumps back inside one push -l keeps the batch's IDs unique and in order" {
	local ft=$BATS_TEST_TMPDIR/ft
	echo "+0" >"$ft"
	mkfifo lines
	tortool lines 1 200 20 >all
	# The batch is read slowly; halfway through, the clock goes back 1 h.
	start=$(date +%s%6N)
	( head -n 100 all; sleep 0.3; echo "-1h" >"$ft"; sleep 0.3; tail -n 100 all ) >lines 3>&- &
	FAKETIME_TIMESTAMP_FILE=$ft FAKETIME_NO_CACHE=1 \
	    LD_PRELOAD=$TT_FAKETIME_LIB spool push "$Q" -l <lines >ids
	[ "$(wc -l <ids)" = 200 ]
	[ -z "$(sort ids | uniq -d)" ]
	# Within one process the time part never goes back: still in order.
	sort -c ids
	# The jump did fall inside the batch: the first IDs carry the true
	# time, the last ones follow them by microseconds, although they were
	# read 0.6 s later (the clock then said an hour earlier).
	local t1 t200
	t1=$((16#$(sed -n 1p ids | cut -c2-15)))
	t200=$((16#$(sed -n 200p ids | cut -c2-15)))
	[ $((start - t1)) -lt 10000000 ] && [ $((t1 - start)) -lt 10000000 ]
	[ $((t200 - t1)) -lt 500000 ]
	paste -d' ' ids <(seq 1 200) >>"$LED/pushed"
	tt_checkq "$Q"
}

@test "I: a lease is trusted to one second of skew: no reclaim before, reclaim after" {
	tt_push "$Q" 1 100
	tok=$(spool pop "$Q" --lease 2s)
	# A host whose clock runs 2.5 s ahead: 0.5 s past the deadline.
	run -0 tt_faketime +2.5 spool gc "$Q"
	[[ "$output" == *"reclaimed=0 "* ]]
	[ -f "$tok" ]
	run -1 tt_faketime +2.5 spool pop "$Q"
	# 3.5 s ahead: past the deadline by more than the tolerance.
	run -0 tt_faketime +3.5 spool gc "$Q"
	[[ "$output" == *"reclaimed=1 "* ]]
	[ ! -e "$tok" ]
	run -3 spool ack "$tok"
	tt_checkq "$Q"
}

@test "I: touch never shortens a lease, even from a clock set back" {
	tt_push "$Q" 1 100
	tok=$(spool pop "$Q" --lease 1h)
	d0=$(deadline "$tok")
	run -0 spool touch "$tok" --lease 10m
	tok2=${output:-$tok}
	[ "$(deadline "$tok2")" -ge "$d0" ]
	run -0 tt_faketime -30m spool touch "$tok2" --lease 40m
	tok3=${output:-$tok2}
	[ "$(deadline "$tok3")" -ge "$d0" ]
	[ -f "$tok3" ]
	# A longer lease does move it.
	run -0 spool touch "$tok3" --lease 2h
	[ "$(deadline "$output")" -gt "$d0" ]
}

@test "I: a holder whose clock jumped past its deadline cannot extend it: touch exits 3" {
	tt_push "$Q" 1 100
	tok=$(spool pop "$Q" --lease 1m)
	run -3 tt_faketime +2m spool touch "$tok"
	[ -f "$tok" ]
	# Until someone takes the message back the claim is still its own:
	# spool.h lets an ack of an expired, unreclaimed lease succeed.
	run -0 tt_faketime +2m spool ack "$tok"
	echo "$(tt_id "$tok")" >>"$LED/acked"
	tt_checkq "$Q"
}

@test "I: pushes in 2038 (past 2^31 s) and 2100 keep the ID width and the order" {
	local when ids=() id
	for when in '2038-01-19 03:14:07' '2038-01-19 03:14:09' '2100-01-01 00:00:00'; do
		id=$(tortool gen ${#ids[@]} 10 | tt_faketime "$when" spool push "$Q")
		[ "${#id}" = 31 ]
		echo "$id ${#ids[@]}" >>"$LED/pushed"
		ids+=("$id")
	done
	[[ "${ids[0]}" < "${ids[1]}" ]] && [[ "${ids[1]}" < "${ids[2]}" ]]
	# Leases and due times of that era fit the names too.
	tok=$(tt_faketime '2100-01-01 00:00:00' spool pop "$Q" --lease 1d)
	[ "$(tt_id "$tok")" = "${ids[0]}" ]
	[ "$(deadline "$tok")" -gt 4102444800000 ]
	run -0 tt_faketime '2100-01-01 00:00:00' spool nack "$tok" --delay 1h
	tt_checkq "$Q"
}
