#!/usr/bin/env bats
# interleave.bats: family G, forced interleavings.  Each test stops one
# process at a chosen syscall (strace signal=STOP, or a delay), plays the
# racing step by hand, then lets it go, and checks the one outcome the
# design allows.  Clocks move with libfaketime instead of sleeps.

load ../helper
load torture

setup() {
	tt_setup
	require_strace_inject
	require_faketime
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

# The traced spool under strace $1 (strace forks probes of its own first).
tracee() {
	local i c
	for ((i = 0; i < 200; i++)); do
		c=$(pgrep -P "$1" -x spool | head -n 1)
		[ -n "$c" ] && echo "$c" && return 0
		sleep 0.02
	done
	return 1
}

# Waits until process $1 is stopped (by a signal or under ptrace).
wait_stopped() {
	wait_for "grep -q '^State:.*\\(T\\|t\\) ' /proc/$1/status 2>/dev/null" 10
}

# Index of the first call of syscall $2 in trace $1 whose line matches $3.
nth_call() {
	awk -v s="$2" -v pat="$3" '
	{ line = $0; sub(/^[0-9]+ +/, "", line) }
	index(line, s "(") == 1 { n++; if (line ~ pat) { print n; exit } }' "$1"
}

later() {
	tt_faketime "$@"
}

@test "G1: a stale token is fenced: ack, nack and touch exit 3 and change nothing" {
	tt_push "$Q" 1 100
	tok1=$(spool pop "$Q" --lease 1s)
	# Two minutes on, the lease is long gone: someone else claims it.
	tok2=$(later +2m spool pop "$Q" --lease 10m)
	[ "$(tt_id "$tok1")" = "$(tt_id "$tok2")" ]
	[[ "$tok2" == *.a2.* ]]
	run -3 spool ack "$tok1"
	run -3 spool nack "$tok1" --reason late
	run -3 spool touch "$tok1"
	[ -f "$tok2" ]
	[ "$(tt_files "$Q" cur)" = 1 ]
	run -0 later +2m spool ack "$tok2"
	echo "$(tt_id "$tok2")" >>"$LED/acked"
	tt_checkq "$Q"
}

@test "G1: spool run stopped past its lease cannot ack what another worker took" {
	tortool gen 7 100 | spool push "$Q" >/dev/null
	mkfifo go
	spool run "$Q" --lease 1s -j 1 -- sh -c 'cat >/dev/null; read x <"$0"' \
	    "$PWD/go" 3>&- &
	runner=$!
	tt_track "$runner"
	wait_for "[ \$(find '$Q/cur' -type f | wc -l) = 1 ]" 10
	kill -STOP "$runner"
	# Without heartbeats the lease lapses (1 s, plus the skew allowance).
	wait_for "tok2=\$(spool pop '$Q' --lease 1m)" 10
	[[ "$tok2" == *.a2.* ]]
	kill -CONT "$runner"
	# (The runner may have killed its job on finding the lease gone.)
	timeout 5 sh -c 'echo done >go' || true
	wait "$runner" || true
	# The runner's ack was fenced off: the second claim is intact.
	[ -f "$tok2" ]
	run -0 spool ack "$tok2"
	[ "$(tt_files "$Q" new)$(tt_files "$Q" cur)$(tt_files "$Q" retry)" = 000 ]
}

@test "G2: two gc reclaim one expired lease: the slower gets ENOENT and exits 0" {
	tt_push "$Q" 1 100
	spool pop "$Q" --lease 1s >/dev/null
	strace -f -qq -o /dev/null -e trace=renameat2 \
	    -e inject=renameat2:delay_enter=400000 \
	    -E "LD_PRELOAD=$TT_FAKETIME_LIB" -E FAKETIME=+1h \
	    spool gc "$Q" >slow.out 3>&- &
	slow=$!
	tt_track "$slow"
	run -0 later +1h spool gc "$Q"
	[[ "$output" == *"reclaimed=1 "* ]]
	rc=0
	wait "$slow" || rc=$?
	[ "$rc" = 0 ]
	# The slow one lost the race, and says so without an error.
	echo "# slow gc: $(cat slow.out)"
	grep -q 'reclaimed=0 ' slow.out
	[ "$(tt_files "$Q" cur)" = 0 ]
	[ "$(tt_files "$Q" retry)" = 1 ]
	tt_checkq "$Q"
}

@test "G3: touch stopped before its rename while gc reclaims the lease exits 3" {
	tt_push "$Q" 1 100
	tok=$(spool pop "$Q" --lease 1s)
	# Where does touch look at the file last before renaming it?  Ask a
	# copy of the queue.
	cp -a "$Q" "$Q.ref"
	strace -f -qq -o ref -e trace=newfstatat,renameat2 \
	    spool touch "$Q.ref/cur/${tok##*/}" --lease 1h >/dev/null
	k=$(awk -v name="${tok##*/}" '
	{ line = $0; sub(/^[0-9]+ +/, "", line) }
	line ~ /^newfstatat\(/ { n++; if (index(line, name)) k = n }
	line ~ /^renameat2\(/ { print k; exit }' ref)
	[ -n "$k" ] || skip "touch makes no newfstatat of its file before renaming"
	strace -f -qq -o /dev/null -e trace=newfstatat \
	    -e "inject=newfstatat:signal=STOP:when=$k" \
	    spool touch "$tok" --lease 1h >/dev/null 3>&- &
	st=$!
	pid=$(tracee "$st")
	tt_track "$st" "$pid"
	wait_stopped "$pid"
	[ -f "$tok" ]
	# Meanwhile the lease expires and gc returns the message.
	run -0 later +1h spool gc "$Q"
	kill -CONT "$pid"
	rc=0
	wait "$st" || rc=$?
	[ "$rc" = 3 ]
	[ "$(tt_files "$Q" retry)" = 1 ]
	[ "$(tt_files "$Q" cur)" = 0 ]
}

@test "G3: touch after the deadline exits 3 and never moves the lease" {
	tt_push "$Q" 1 100
	tok=$(spool pop "$Q" --lease 1s)
	run -3 later +10s spool touch "$tok" --lease 1h
	[ -f "$tok" ]
}

@test "G4: push stopped after opening its bucket, gc drops the bucket: push re-makes it or exits 5" {
	tortool gen 1 100 >p
	tt_trace ref spool push "$Q" <p >/dev/null
	k=$(nth_call ref openat '^openat\([0-9]+<[^>]*/new/[0-9]\.[0-9a-f]+>, "[0-9a-f]+", O_RDONLY')
	[ -n "$k" ] || skip "no leaf bucket open in the reference trace"
	rm -rf "$Q" && spool init "$Q" >/dev/null
	echo "- 1" >>"$LED/maybe"
	strace -f -qq -o /dev/null -e trace=openat \
	    -e "inject=openat:signal=STOP:when=$k" \
	    spool push "$Q" <p >out 3>&- &
	st=$!
	pid=$(tracee "$st")
	tt_track "$st" "$pid"
	wait_stopped "$pid"
	# An hour later the bucket's time has passed: gc may remove it.
	later +1h spool gc "$Q" >/dev/null
	kill -CONT "$pid"
	rc=0
	wait "$st" || rc=$?
	case $rc in
	0) echo "$(cat out) 1" >>"$LED/pushed" ;;
	5) [ "$(tt_files "$Q" new)" = 0 ] ;;
	*) false ;;
	esac
	tt_checkq "$Q"
}

@test "G5: push stopped at fsync, gc 37 hours later: the push exits 5, nothing visible" {
	tortool gen 1 100 >p
	strace -f -qq -o /dev/null -e trace=fdatasync,fsync \
	    -e inject=fdatasync:signal=STOP:when=1 \
	    spool push "$Q" <p >out 3>&- &
	st=$!
	pid=$(tracee "$st")
	tt_track "$st" "$pid"
	wait_stopped "$pid"
	[ -n "$(ls "$Q/tmp")" ]
	touch -d '-37 hours' "$Q"/tmp/*
	run -0 later +37h spool gc "$Q"
	[ -z "$(ls "$Q/tmp")" ]
	kill -CONT "$pid"
	rc=0
	wait "$st" || rc=$?
	[ "$rc" = 5 ]
	[ ! -s out ]
	[ "$(tt_files "$Q" new)" = 0 ]
	tt_checkq "$Q"
}

@test "G5: push stopped at fsync, gc 2 hours later: its tmp file survives, push exits 0" {
	tortool gen 1 100 >p
	strace -f -qq -o /dev/null -e trace=fdatasync,fsync \
	    -e inject=fdatasync:signal=STOP:when=1 \
	    spool push "$Q" <p >out 3>&- &
	st=$!
	pid=$(tracee "$st")
	tt_track "$st" "$pid"
	wait_stopped "$pid"
	run -0 later +2h spool gc "$Q"
	[ -n "$(ls "$Q/tmp")" ]
	kill -CONT "$pid"
	rc=0
	wait "$st" || rc=$?
	[ "$rc" = 0 ]
	echo "$(cat out) 1" >>"$LED/pushed"
	tt_checkq "$Q"
}

@test "G8: pop and kick racing for one waiting message: exactly one wins" {
	local round tok rc
	# (Not "i": bats' run uses that name without declaring it local.)
	for ((round = 0; round < 12; round++)); do
		rm -rf "$Q" "$LED" && mkdir -p "$LED" && spool init "$Q" >/dev/null
		tt_push "$Q" "$round" 50
		tok=$(spool pop "$Q")
		spool nack "$tok" --delay 0 >/dev/null
		id=$(tt_id "$tok")
		spool kick "$Q" --from retry "$id" >kick.out 2>&1 &
		k=$!
		tt_track "$k"
		spool pop "$Q" >pop.out 2>&1 && rc=0 || rc=$?
		wait "$k" || true
		# One place, whichever won; a pop that won holds attempt 2.
		run -0 tt_checkq "$Q"
		n=$(($(tt_files "$Q" new) + $(tt_files "$Q" cur) + $(tt_files "$Q" retry)))
		[ "$n" = 1 ]
		if [ "$rc" = 0 ]; then
			[[ "$(cat pop.out)" == *"$id".a2.* ]] ||
			    [[ "$(cat pop.out)" == *"$id".a1.* ]]
		fi
	done
}

@test "G: link+unlink fallback (no RENAME_NOREPLACE): two claims of one message, one wins" {
	tt_push "$Q" 1 100
	local nr=$TTB/noreplace.so name
	name=$(basename "$(find "$Q/new" -type f)")
	# Where does a claim check the file last before linking it?
	cp -a "$Q" "$Q.ref"
	strace -f -qq -o ref -e trace=newfstatat,linkat -E "LD_PRELOAD=$nr" \
	    spool pop "$Q.ref" >/dev/null
	k=$(awk -v name="$name" '
	{ line = $0; sub(/^[0-9]+ +/, "", line) }
	line ~ /^newfstatat\(/ { n++; if (index(line, name)) k = n }
	line ~ /^linkat\(/ { print k; exit }' ref)
	[ -n "$k" ] || skip "the claim makes no newfstatat of its candidate before linking"
	# B has checked the file (one link) and stops before linking it...
	strace -f -qq -o /dev/null -e trace=newfstatat \
	    -e "inject=newfstatat:signal=STOP:when=$k" -E "LD_PRELOAD=$nr" \
	    spool pop "$Q" >b.out 2>b.err 3>&- &
	sb=$!
	b=$(tracee "$sb")
	tt_track "$sb" "$b"
	wait_stopped "$b"
	# ...A links it into cur/ and stops before unlinking the source...
	strace -f -qq -o /dev/null -e trace=linkat \
	    -e inject=linkat:signal=STOP:when=1 -E "LD_PRELOAD=$nr" \
	    spool pop "$Q" >a.out 2>a.err 3>&- &
	sa=$!
	a=$(tracee "$sa")
	tt_track "$sa" "$a"
	wait_stopped "$a"
	# ...B goes on (links and unlinks the source), then A.
	kill -CONT "$b"
	rb=0
	wait "$sb" || rb=$?
	kill -CONT "$a"
	ra=0
	wait "$sa" || ra=$?
	echo "# A exited $ra: $(cat a.out a.err); B exited $rb: $(cat b.out b.err)"
	# One claim: one file in cur/, one token handed out.
	[ "$(find "$Q/cur" -type f | wc -l)" = 1 ]
	[ "$(cat a.out b.out | grep -c .)" = 1 ]
	tt_checkq "$Q"
}

@test "G6: export while messages move between states: each one in the archive exactly once" {
	require_cmd bsdtar
	local s
	for s in $(seq 1 30); do tt_push "$Q" "$s" 50; done
	# Churn: claim, touch (a rename in cur/), hand back, again and again.
	cat >churn <<'EOS'
#!/bin/sh
while [ ! -e "$2" ]; do
	t=$(spool pop "$1" --lease 1h) || continue
	t2=$(spool touch "$t" --lease 2h) || t2=$t
	spool nack "${t2:-$t}" --delay 0 >/dev/null 2>&1
done
EOS
	chmod +x churn
	./churn "$Q" stop 3>&- &
	c1=$!
	./churn "$Q" stop 3>&- &
	c2=$!
	tt_track "$c1" "$c2"
	strace -f -qq -o /dev/null -e trace=getdents64 \
	    -e inject=getdents64:delay_exit=20000 \
	    spool export "$Q" -o all.tar --quiet
	touch stop
	wait "$c1" "$c2" || true
	run -0 bsdtar -tf all.tar
	ids=$(printf '%s\n' "${lines[@]}" | grep -E '^(new|retry|dead)/' |
	    sed 's|.*/||' | cut -c1-31 | sort)
	[ "$(echo "$ids" | wc -l)" = 30 ]
	[ -z "$(echo "$ids" | uniq -d)" ]
	[ "$(echo "$ids" | tr '\n' ' ')" = "$(cut -d' ' -f1 "$LED/pushed" | sort | tr '\n' ' ')" ]
}

@test "G7: a push while run --follow is still arming its watch is processed" {
	require_strace_inject
	strace -f -qq -o /dev/null -e trace=inotify_add_watch \
	    -e inject=inotify_add_watch:delay_enter=500000 \
	    spool run "$Q" --follow --quiet -- sh -c 'cat >>"$0"' "$PWD/got" 3>&- &
	st=$!
	r=$(tracee "$st")
	tt_track "$st" "$r"
	tortool gen 1 100 | spool push "$Q" >/dev/null
	wait_for "[ -s got ]" 10
	tortool check got
	kill -TERM "$r"
	rc=0
	wait "$st" || rc=$?
	[ "$rc" = 143 ] || [ "$rc" = 0 ]
}
