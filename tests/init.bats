#!/usr/bin/env bats
# spool init: creating, repairing and configuring queues.

load helper

config_of() {
	cat "$SPOOL_DIR/$1/config"
}

@test "init creates every state directory and a default config" {
	run -0 --separate-stderr spool init q
	[ -z "$output" ]
	[ -z "$stderr" ]
	for d in tmp new cur retry dead; do
		[ -d "$SPOOL_DIR/q/$d" ]
	done
	run -0 config_of q
	[[ "$output" == *"max-attempts 5"* ]]
	[[ "$output" == *"lease 5m"* ]]
	[[ "$output" == *"backoff 30s:1h"* ]]
}

@test "init makes a private queue: 0700 directories, 0600 config" {
	spool init q
	[ "$(stat -c %a "$SPOOL_DIR/q")" = 700 ]
	[ "$(stat -c %a "$SPOOL_DIR/q/new")" = 700 ]
	[ "$(stat -c %a "$SPOOL_DIR/q/config")" = 600 ]
}

@test "init twice changes nothing and keeps the messages" {
	spool init q --lease 2m
	spool push q -m kept
	cp "$SPOOL_DIR/q/config" before
	run -0 spool init q
	cmp before "$SPOOL_DIR/q/config"
	[ "$(count_state q new)" = 1 ]
}

@test "init --max-attempts changes only that setting" {
	spool init q --lease 7m --backoff 5s:10m
	run -0 spool init q --max-attempts 9
	run -0 config_of q
	[[ "$output" == *"max-attempts 9"* ]]
	[[ "$output" == *"lease 7m"* ]]
	[[ "$output" == *"backoff 5s:10m"* ]]
}

@test "init --lease accepts every duration unit" {
	local d
	for d in 250ms 30 30s 5m 2h 1d; do
		run -0 spool init q --lease "$d"
	done
	run -0 config_of q
	[[ "$output" == *"lease 1d"* ]]
	run -0 spool init q --lease 90
	run -0 config_of q
	[[ "$output" == *"lease 90s"* ]]
}

@test "init --backoff MIN:MAX sets both" {
	run -0 spool init q --backoff 1s:5m
	run -0 config_of q
	[[ "$output" == *"backoff 1s:5m"* ]]
}

@test "init --backoff MIN keeps the queue's cap, or raises it to MIN" {
	spool init q --backoff 1s:10m
	run -0 spool init q --backoff 20s
	run -0 config_of q
	[[ "$output" == *"backoff 20s:10m"* ]]
	run -0 spool init q --backoff 2h
	run -0 config_of q
	[[ "$output" == *"backoff 2h:2h"* ]]
	run -0 spool init fresh --backoff 5s
	run -0 config_of fresh
	[[ "$output" == *"backoff 5s:1h"* ]]
}

@test "init refuses bad settings with exit 2 and writes nothing" {
	spool init q --lease 7m
	cp "$SPOOL_DIR/q/config" before
	local bad
	for bad in "--max-attempts 0" "--max-attempts x" "--max-attempts -1" \
	    "--max-attempts 1000001" "--lease 0" "--lease 5x" "--lease -1s" \
	    "--lease ''" "--backoff 5m:1m" "--backoff x" "--backoff 1s:x" \
	    "--mode 8" "--mode 0755" "--mode 0600" "--mode 12770" \
	    "--group no-such-group-here"; do
		eval "run -2 --separate-stderr spool init q $bad"
		[[ "$stderr" == "spool: init: "* ]]
		[[ "$stderr" == *"usage: spool init QUEUE"* ]]
	done
	cmp before "$SPOOL_DIR/q/config"
}

@test "init with no queue, two queues or an unknown option exits 2" {
	run -2 --separate-stderr spool init
	[[ "$stderr" == *"missing QUEUE"* ]]
	run -2 --separate-stderr spool init a b
	[[ "$stderr" == *"unexpected argument 'b'"* ]]
	run -2 --separate-stderr spool init q --frobnicate
	[[ "$stderr" == *"unknown option '--frobnicate'"* ]]
	run -2 --separate-stderr spool init q --lease
	[[ "$stderr" == *"option '--lease' needs an argument"* ]]
	[ ! -e "$SPOOL_DIR/q" ]
	[ ! -e "$SPOOL_DIR/a" ]
}

@test "init refuses a bad queue name with exit 2" {
	local name
	for name in .hidden ..; do
		run -2 --separate-stderr spool init "$name"
		[[ "$stderr" == *"not a valid queue name"* ]]
	done
}

@test "init takes a QUEUE with a slash as a path, parents included" {
	run -0 spool init ./deep/er/q
	[ -d deep/er/q/new ]
	[ ! -e "$SPOOL_DIR/deep" ]
}

@test "a bare name lives under XDG_STATE_HOME, else HOME, without SPOOL_DIR" {
	unset SPOOL_DIR
	XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg" run -0 spool init q
	[ -d "$BATS_TEST_TMPDIR/xdg/spool/q/new" ]
	run -0 spool init q
	[ -d "$HOME/.local/state/spool/q/new" ]
}

@test "init on a regular file exits 4" {
	mkdir -p "$SPOOL_DIR"
	echo data >"$SPOOL_DIR/q"
	run -4 --separate-stderr spool init q
	[[ "$stderr" == "spool: init: q: "* ]]
	[ "$(cat "$SPOOL_DIR/q")" = data ]
}

@test "init repairs a queue whose state directory is missing" {
	spool init q
	spool push q -m survivor
	rmdir "$SPOOL_DIR/q/cur"
	run -4 --separate-stderr spool pop q
	[[ "$stderr" == *"cur/"* ]]
	run -0 spool init q
	[ -d "$SPOOL_DIR/q/cur" ]
	run -0 spool pop q --ack
	[ "$output" = survivor ]
}

@test "init rewrites a garbage config with the defaults" {
	spool init q --lease 7m
	printf 'lease banana\n\377\n' >"$SPOOL_DIR/q/config"
	run -0 spool init q --max-attempts 2
	run -0 config_of q
	[[ "$output" == *"max-attempts 2"* ]]
	[[ "$output" == *"lease 5m"* ]]
}

@test "init --mode sets the queue's mode and the files follow it" {
	run -0 spool init q --mode 2770
	[ "$(stat -c %a "$SPOOL_DIR/q")" = 2770 ]
	[ "$(stat -c %a "$SPOOL_DIR/q/new")" = 2770 ]
	[ "$(stat -c %a "$SPOOL_DIR/q/config")" = 660 ]
	umask 077
	spool push q -m shared
	[ "$(find "$SPOOL_DIR/q/new" -type f -perm 0660 | wc -l)" = 1 ]
}

@test "init without --mode keeps the mode an earlier init set" {
	spool init q --mode 2770
	run -0 spool init q --lease 1m
	[ "$(stat -c %a "$SPOOL_DIR/q")" = 2770 ]
}

@test "init --group makes a setgid 2770 queue owned by the group" {
	require_root
	local g
	g=$(getent group nogroup | cut -d: -f1)
	[ -n "$g" ] || skip "needs the group nogroup"
	run -0 spool init q --group "$g"
	for d in "" /tmp /new /cur /retry /dead; do
		[ "$(stat -c '%a %G' "$SPOOL_DIR/q$d")" = "2770 $g" ]
	done
	[ "$(stat -c '%a %G' "$SPOOL_DIR/q/config")" = "660 $g" ]
	umask 077
	spool push q -m shared
	spool push q --delay 1h -m later
	run -0 find "$SPOOL_DIR/q/new" "$SPOOL_DIR/q/retry" -type f -printf '%m %g\n'
	[ "${lines[0]}" = "660 $g" ]
	[ "${lines[1]}" = "660 $g" ]
	[ "${#lines[@]}" = 2 ]
}

@test "init --group on an existing queue moves it to the group" {
	require_root
	local g
	g=$(getent group nogroup | cut -d: -f1)
	[ -n "$g" ] || skip "needs the group nogroup"
	spool init q
	run -0 spool init q --group "$g"
	[ "$(stat -c '%a %G' "$SPOOL_DIR/q/cur")" = "2770 $g" ]
	[ "$(stat -c '%a %G' "$SPOOL_DIR/q")" = "2770 $g" ]
}

@test "init --group lets another member push and pop, and no one else" {
	require_root
	require_cmd setpriv
	getent group 4242 >/dev/null || groupadd -g 4242 spooltest ||
	    skip "cannot create a test group"
	# Other users must be able to reach the queue's parent.
	shared=$(mktemp -d /tmp/spool-group.XXXXXX)
	chmod 755 "$shared"
	run -0 spool init "$shared/q" --group 4242
	run -0 setpriv --reuid=4001 --regid=4001 --groups=4242 \
	    spool push "$shared/q" -m "from another user"
	run -0 setpriv --reuid=4002 --regid=4002 --groups=4242 \
	    spool pop "$shared/q" --ack
	[ "$output" = "from another user" ]
	run -5 setpriv --reuid=4003 --regid=4003 --clear-groups \
	    spool push "$shared/q" -m outsider
	run -5 setpriv --reuid=4003 --regid=4003 --clear-groups \
	    spool pop "$shared/q"
	# A user outside the group cannot make a queue for it.
	chmod 777 "$shared"
	run -5 --separate-stderr setpriv --reuid=4003 --regid=4003 \
	    --clear-groups spool init "$shared/other" --group 4242
	[ "$stderr" = "spool: init: $shared/other: not a member of group 4242" ]
	[ ! -e "$shared/other" ]
	run -0 setpriv --reuid=4001 --regid=4001 --groups=4242 \
	    spool init "$shared/mine" --group 4242
	[ "$(stat -c '%a %g' "$shared/mine/new")" = "2770 4242" ]
}

teardown() {
	[ -z "${shared:-}" ] || rm -rf "$shared"
}
