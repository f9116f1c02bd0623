#!/usr/bin/env bats
# crash.bats: family A, systematic crash points.  For every call of every
# file-system syscall a command makes on the queue, a fresh copy of a
# template queue runs the command under
# "strace -e inject=SYSCALL:signal=KILL:when=k" (SIGKILL at the entry of
# call k, so the call never happens), then checkq judges what is left:
# printed IDs present and whole, every other message whole and in one
# place, at most the killed push's tmp/ files (gone after gc), and the
# uninjected command works on what was left (see sweep).

load ../helper
load torture

setup() {
	tt_setup
	require_strace_inject
}

@test "A: SIGKILL at every queue syscall of push -m loses nothing, leaves no half message" {
	tt_sweep push-m kill
}

@test "A: SIGKILL at every queue syscall of push from stdin" {
	tt_sweep push-stdin kill
}

@test "A: SIGKILL at every queue syscall of push -l (group commit)" {
	tt_sweep push-l kill
}

@test "A: SIGKILL at every queue syscall of pop: each message stays in one place" {
	tt_sweep pop kill
}

@test "A: SIGKILL at every queue syscall of ack: gone or still leased, token still settles" {
	tt_sweep ack kill
}

@test "A: SIGKILL at every queue syscall of nack: leased or in retry/, never both" {
	tt_sweep nack kill
}

@test "A: SIGKILL at every queue syscall of touch: old or new lease, never none" {
	tt_sweep touch kill
}

@test "A: SIGKILL at every queue syscall of gc: fresh tmp/ survives, leases return" {
	tt_sweep gc kill
}

@test "A: SIGKILL at every queue syscall of kick: dead or new, never both" {
	tt_sweep kick kill
}

@test "A control: a push whose rename is a copy+delete fails the sweep (I3)" {
	run -1 "$TT/sweep" -s write -p "$TTB/copyrename.so" push-m kill
	[[ "$output" == *"checkq: I3 "*"payload short"* ]]
	[[ "$output" == *"points, "*" failed"* ]]
}

@test "A: SIGKILL at every queue syscall of spool run: each message ran or is still there, and comes back" {
	tt_sweep run kill
}
