# fish completion for spool(1).
#
# Queue names come from "spool list --queues", message IDs from the first
# column of "spool list QUEUE", tokens from the cur/ directories of the
# queues under the default root, or any file.

set -l __spool_commands ack export gc help import init kick list nack pop purge push run show stat touch

# The first operand after the subcommand, skipping options and their
# arguments.
function __spool_first_operand
    set -l words (commandline -opc)
    set -e words[1 2]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case -m --message -f --file -n --limit -j --jobs -o --output -i --input -s --state --delay --priority --max-attempts --lease --backoff --group --mode --reason --timeout --grace --max --batch --rate --dead-exit --from --older-than --format --compress --state-as --max-size --max-entries --max-total
                set skip 1
            case '-*'
            case '*'
                echo $w
                return 0
        end
    end
    return 1
end

# True when the subcommand has no operand yet (the next one is the queue).
function __spool_needs_queue
    not __spool_first_operand >/dev/null
end

function __spool_queues
    command -q spool; or return 1
    spool list --queues 2>/dev/null
end

# IDs of the queue named by the first operand; for kick, of the state that
# --from names (dead by default).
function __spool_ids
    command -q spool; or return 1
    set -l queue (__spool_first_operand); or return 1
    set -l words (commandline -opc)
    set -l state
    if test "$words[2]" = kick
        set state dead
        # The states --from names.
        set -l i 3
        while test $i -le (count $words)
            switch $words[$i]
                case '--from=*'
                    set state (string replace -- --from= '' $words[$i])
                case --from
                    set -l j (math $i + 1)
                    test $j -le (count $words); and set state $words[$j]
            end
            set i (math $i + 1)
        end
    end
    if test -n "$state"
        spool list $queue --state $state 2>/dev/null
    else
        spool list $queue 2>/dev/null
    end | string match -r '^[0-9a-z]{31}(?=\s|$)'
end

function __spool_tokens
    set -l root
    if set -q SPOOL_DIR; and test -n "$SPOOL_DIR"
        set root $SPOOL_DIR
    else if set -q XDG_STATE_HOME; and test -n "$XDG_STATE_HOME"
        set root $XDG_STATE_HOME/spool
    else
        set root $HOME/.local/state/spool
    end
    for f in $root/*/cur/*
        test -f $f; and echo $f
    end
end

complete -c spool -f

# Global options and subcommands.
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -l help -d 'Show usage'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -l version -d 'Show the version'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a ack -d 'Delete claimed messages'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a export -d 'Write messages to an archive'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a gc -d 'Reclaim expired leases, remove stale files'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a help -d 'Show the usage of a command'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a import -d 'Add messages from an archive'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a init -d 'Create a queue or change its settings'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a kick -d 'Move dead or waiting messages back to new'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a list -d 'List messages, oldest first'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a nack -d 'Return claimed messages for a retry'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a pop -d 'Claim the next due messages'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a purge -d 'Delete messages'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a push -d 'Add messages'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a run -d 'Run a command for each message'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a show -d 'Show everything about messages'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a stat -d 'Show queue pressure'
complete -c spool -n "not __fish_seen_subcommand_from $__spool_commands" -a touch -d 'Extend leases'

complete -c spool -n '__fish_seen_subcommand_from help' -a "$__spool_commands"

# Every subcommand takes --help.
complete -c spool -n "__fish_seen_subcommand_from $__spool_commands" -l help -d 'Show usage'

# Queue operands.
complete -c spool -n '__fish_seen_subcommand_from export import init kick list pop purge push run show; and __spool_needs_queue' -a '(__spool_queues)' -d Queue
complete -c spool -n '__fish_seen_subcommand_from stat gc' -a '(__spool_queues)' -d Queue

# Message IDs.
complete -c spool -n '__fish_seen_subcommand_from show kick purge; and not __spool_needs_queue' -a '(__spool_ids)' -d 'Message ID'

# Tokens.
complete -c spool -n '__fish_seen_subcommand_from ack nack touch' -F -a '(__spool_tokens)' -d Token

set -l dur 'Duration (250ms, 30s, 5m, 2h, 1d)'

# init
complete -c spool -n '__fish_seen_subcommand_from init' -l max-attempts -x -d 'Claims before a failure is final'
complete -c spool -n '__fish_seen_subcommand_from init' -l lease -x -d "Lease: $dur"
complete -c spool -n '__fish_seen_subcommand_from init' -l backoff -x -d 'Retry delay cap MIN[:MAX]'
complete -c spool -n '__fish_seen_subcommand_from init' -l group -x -a '(__fish_complete_groups)' -d 'Share the queue with a group'
complete -c spool -n '__fish_seen_subcommand_from init' -l mode -x -a '0700 2770' -d 'Queue directory mode'

# push
complete -c spool -n '__fish_seen_subcommand_from push' -s m -l message -x -d 'A message with this text'
complete -c spool -n '__fish_seen_subcommand_from push' -s f -l file -r -F -d 'A message with the contents of a file'
complete -c spool -n '__fish_seen_subcommand_from push' -s l -l lines -d 'Each input line is a message'
complete -c spool -n '__fish_seen_subcommand_from push' -s 0 -d 'With -l, NUL-separated messages'
complete -c spool -n '__fish_seen_subcommand_from push' -l delay -x -d "Park in retry until due: $dur"
complete -c spool -n '__fish_seen_subcommand_from push' -l priority -x -a '0 1 2 3 4 5 6 7 8 9' -d 'Priority, 9 first'
complete -c spool -n '__fish_seen_subcommand_from push' -l no-sync -d 'Skip fsync: fast, not durable'

# pop
complete -c spool -n '__fish_seen_subcommand_from pop' -s n -x -d 'Claim up to this many messages'
complete -c spool -n '__fish_seen_subcommand_from pop' -l wait -d 'Wait for a message (--wait=DUR)'
complete -c spool -n '__fish_seen_subcommand_from pop' -l lease -x -d "Lease for these claims: $dur"
complete -c spool -n '__fish_seen_subcommand_from pop' -l ack -d 'Print the payloads and delete the messages'

# nack, touch
complete -c spool -n '__fish_seen_subcommand_from nack' -l delay -x -d "Due again after: $dur"
complete -c spool -n '__fish_seen_subcommand_from nack' -l dead -d 'Give up: move to dead'
complete -c spool -n '__fish_seen_subcommand_from nack' -l reason -x -d 'Record a reason'
complete -c spool -n '__fish_seen_subcommand_from touch' -l lease -x -d "Extend the lease: $dur"

# run
complete -c spool -n '__fish_seen_subcommand_from run' -s j -l jobs -x -d 'Concurrent jobs, N or MIN:MAX'
complete -c spool -n '__fish_seen_subcommand_from run' -l timeout -x -d "Kill a job after: $dur"
complete -c spool -n '__fish_seen_subcommand_from run' -l grace -x -d "Time between TERM and KILL: $dur"
complete -c spool -n '__fish_seen_subcommand_from run' -l max -x -d 'Stop after this many messages'
complete -c spool -n '__fish_seen_subcommand_from run' -l batch -x -d 'Messages per invocation'
complete -c spool -n '__fish_seen_subcommand_from run' -l rate -x -d 'Cap on job starts: N/s, N/m, N/h'
complete -c spool -n '__fish_seen_subcommand_from run' -l follow -d 'Wait for new work instead of exiting'
complete -c spool -n '__fish_seen_subcommand_from run' -l dead-exit -x -d 'Exit statuses that send to dead'
complete -c spool -n '__fish_seen_subcommand_from run' -l lease -x -d "Claim with this lease: $dur"
complete -c spool -n '__fish_seen_subcommand_from run' -s q -l quiet -d 'No line per job'
complete -c spool -n '__fish_seen_subcommand_from run' -l json -d 'One JSON object per job'
complete -c spool -n '__fish_seen_subcommand_from run' -l capture -d 'Capture job output into the reason'
complete -c spool -n '__fish_seen_subcommand_from run; and contains -- -- (commandline -opc)' -a '(__fish_complete_command)' -d Command

# stat
complete -c spool -n '__fish_seen_subcommand_from stat' -l json -d 'JSON output'
complete -c spool -n '__fish_seen_subcommand_from stat' -l prometheus -d 'Prometheus text output'
complete -c spool -n '__fish_seen_subcommand_from stat' -l watch -d 'Redraw every DUR, 2s by default (--watch=DUR)'
complete -c spool -n '__fish_seen_subcommand_from stat' -l ages -d 'Age histogram of waiting messages'

# list
complete -c spool -n '__fish_seen_subcommand_from list' -l queues -d 'List the queue names'
complete -c spool -n '__fish_seen_subcommand_from list' -s s -l state -x -a 'new cur retry dead' -d 'Only these states'
complete -c spool -n '__fish_seen_subcommand_from list' -l json -d 'JSON output'
complete -c spool -n '__fish_seen_subcommand_from list' -s n -l limit -x -d 'At most this many messages'

# show, kick, purge, gc
complete -c spool -n '__fish_seen_subcommand_from show' -l body -d 'Print the payload'
complete -c spool -n '__fish_seen_subcommand_from show' -l json -d 'JSON output'
complete -c spool -n '__fish_seen_subcommand_from kick' -s a -l all -d 'Every message'
complete -c spool -n '__fish_seen_subcommand_from kick' -l from -x -a 'dead retry dead,retry' -d 'The states to kick from'
complete -c spool -n '__fish_seen_subcommand_from kick' -s q -l quiet -d 'Print nothing'
complete -c spool -n '__fish_seen_subcommand_from purge' -s s -l state -x -a 'new cur retry dead' -d 'Every message in these states'
complete -c spool -n '__fish_seen_subcommand_from purge' -l older-than -x -d "Only messages older than: $dur"
complete -c spool -n '__fish_seen_subcommand_from purge' -s q -l quiet -d 'Print nothing'
complete -c spool -n '__fish_seen_subcommand_from gc' -l json -d 'JSON output'
complete -c spool -n '__fish_seen_subcommand_from gc' -s q -l quiet -d 'Print nothing but errors'

# export, import
complete -c spool -n '__fish_seen_subcommand_from export' -s o -l output -r -F -d 'Output archive, - for stdout'
complete -c spool -n '__fish_seen_subcommand_from export' -l state -x -a 'new cur retry dead' -d 'Only these states'
complete -c spool -n '__fish_seen_subcommand_from export' -l format -x -a 'tar pax cpio zip 7zip' -d 'Archive format'
complete -c spool -n '__fish_seen_subcommand_from export' -l compress -x -a 'gzip bzip2 xz zstd lz4 none' -d Compression
complete -c spool -n '__fish_seen_subcommand_from export' -l move -d 'Delete the messages once archived'
complete -c spool -n '__fish_seen_subcommand_from export' -s q -l quiet -d 'No progress'
complete -c spool -n '__fish_seen_subcommand_from import' -s i -l input -r -F -d 'Input archive, - for stdin'
complete -c spool -n '__fish_seen_subcommand_from import' -l state-as -x -a 'new retry dead' -d 'Put every message in this state'
complete -c spool -n '__fish_seen_subcommand_from import' -l max-size -x -d 'Skip messages larger than (bytes, K, M, G)'
complete -c spool -n '__fish_seen_subcommand_from import' -l max-entries -x -d 'Give up beyond this many entries'
complete -c spool -n '__fish_seen_subcommand_from import' -l max-total -x -d 'Give up beyond this many bytes'
complete -c spool -n '__fish_seen_subcommand_from import' -s q -l quiet -d 'No progress'
