#!/usr/bin/env bats
# errors.bats: family B, I/O error sweeps.  As crash.bats, but call k of
# each syscall fails with an errno instead of being killed ("E+": it and
# every later call fail).  Each point is judged by sweep: exit exactly 5
# with a "spool: CMD: " message when a write, fsync or close of a message
# or an fsync of a queue directory failed (else 0 or 5, never another
# code); a failed push leaves nothing visible and tmp/ clean; a claim no
# one was told about is not left leased; nothing is renamed or fsynced
# again after an fsync failed; checkq holds; and the uninjected command
# then succeeds.  The quick tier fails each call once with EIO, then the
# errnos that have their own meaning; the long tier runs the full matrix.

load ../helper
load torture

setup() {
	tt_setup
	require_strace_inject
}

@test "B: EIO once at every queue syscall of push -m, push from stdin, push -l" {
	tt_sweep push-m EIO
	tt_sweep push-stdin EIO
	tt_sweep push-l EIO
}

@test "B: EIO once at every queue syscall of pop, ack, nack, touch" {
	tt_sweep pop EIO
	tt_sweep ack EIO
	tt_sweep nack EIO
	tt_sweep touch EIO
}

@test "B: EIO once at every queue syscall of gc and kick" {
	tt_sweep gc EIO
	tt_sweep kick EIO
}

@test "B: a stale handle from an fsync is not retried: the command exits 5" {
	# A retry from the queue root would find the first try's move done,
	# have nothing left to sync, and report success.
	tt_sweep -s fsync gc ESTALE+
	tt_sweep -s fsync nack ESTALE+
	tt_sweep -s fsync,fdatasync push-m ESTALE+
}

@test "B: ENOSPC and EDQUOT on push's writes, fsyncs and creates exit 5, tmp/ clean" {
	tt_sweep -s write,fsync,fdatasync,syncfs,openat,mkdirat push-stdin ENOSPC
	tt_sweep -s write,close,openat push-l EDQUOT
	tt_sweep -s write push-stdin EFBIG
}

@test "B: EROFS, EACCES and EMFILE on every open of push and pop" {
	tt_sweep -s openat,mkdirat push-m EROFS
	tt_sweep -s openat push-m EACCES
	tt_sweep -s openat pop EMFILE
}

@test "B: renameat2 EXDEV and ENOSPC fail cleanly; EINVAL falls back to link+unlink" {
	local s
	for s in push-m push-l pop nack kick gc; do
		tt_sweep -s renameat2 "$s" EXDEV
		tt_sweep -s renameat2 "$s" EINVAL
	done
	tt_sweep -s renameat2 push-m ENOSPC
}

@test "B: EINTR on a write is retried: push exits 0 and the message is whole" {
	tt_sweep -s write push-stdin EINTR
	tt_sweep -s write push-l EINTR
}

@test "B: persistent EIO from any call on (E+) of push and pop" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long): quick runs each error once"
	tt_sweep push-stdin EIO+
	tt_sweep pop EIO+
}

@test "B long: every errno on every call, once and persistent, for every command" {
	[ "$TT_LONG" = 1 ] || skip "long tier (SPOOL_TORTURE=long)"
	local s e bad=0
	for s in push-m push-stdin push-l pop ack nack touch gc kick import run; do
		for e in EIO ENOSPC EDQUOT EIO+ ENOSPC+ EROFS EACCES EMFILE ESTALE ESTALE+; do
			tt_sweep "$s" "$e" || bad=1
		done
	done
	[ "$bad" = 0 ]
}

@test "B: libfiu fails 5% of POSIX reads, writes and syncs with EIO at random: exit 0 or 5, nothing half done" {
	require_cmd fiu-run
	local n=60 s rc id tok seq bad=0
	[ "$TT_LONG" = 1 ] && n=1000
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
	fiu() {
		fiu-run -x -f "" -c \
		    "enable_random name=posix/io/*,probability=0.05,failinfo=5" "$@"
	}
	for ((s = 1; s <= n; s++)); do
		tortool gen "$s" $((s * 97)) >p
		rc=0
		id=$(fiu spool push "$Q" <p 2>err) || rc=$?
		case $rc in
		0) echo "$id $s" >>"$LED/pushed" ;;
		5)
			# Failing to print the ID after the commit is honest
			# too (spool(1)): that message may be there.  So is
			# a failure whose report itself was lost: libfiu
			# fails writes to stderr as well.
			{ grep -q 'write error' err || [ ! -s err ]; } &&
			    echo "- $s" >>"$LED/maybe"
			;;
		*) echo "# push of $s exited $rc"; bad=1 ;;
		esac
		if [ $((s % 3)) = 0 ]; then
			rc=0
			tok=$(fiu spool pop "$Q" 2>/dev/null) || rc=$?
			case $rc in
			0)
				# Name the payload: a push whose ID was lost
				# (exit 5 after the commit) is known by it.
				read -r seq _ <"$tok"
				echo "$(tt_id "$tok") $seq" >>"$LED/delivered"
				echo "$(tt_id "$tok")" >>"$LED/ackmaybe"
				rc=0
				fiu spool ack "$tok" >/dev/null 2>&1 || rc=$?
				[ "$rc" = 0 ] && echo "$(tt_id "$tok")" >>"$LED/acked"
				[ "$rc" = 0 ] || [ "$rc" = 5 ] || { echo "# ack exited $rc"; bad=1; }
				;;
			1 | 5) ;;
			*) echo "# pop exited $rc"; bad=1 ;;
			esac
		fi
	done
	[ "$bad" = 0 ]
	echo "# $(wc -l <"$LED/pushed") of $n pushes succeeded under libfiu"
	# A failed push left nothing; leases a failed pop or ack left come back.
	tt_faketime +1h spool gc "$Q" >/dev/null
	tt_checkq "$Q"
}
