# runjson.jq: tests/bench/run's JSON object to summary records.  Fields
# it does not have are left out rather than guessed.
select(.bench == "run") | . as $r |
{suite: "run", kind: "op", reps: .repetitions, errors: 0, error: null} as $o |
(.spawn_loop // .posix_spawn_loop) as $sp |
((($o + {label: "forkexec_loop", n: .forkexec_loop.calls,
  desc: "fork+exec true loop (tests/bench/run)",
  mean_us: .forkexec_loop.us_per_call, ops_per_s: .forkexec_loop.rate_per_s}),
 ($o + {label: "spawn_loop", n: $sp.calls,
  desc: "spawn loop, \($sp.what // "posix_spawn true") (tests/bench/run)",
  mean_us: $sp.us_per_call, ops_per_s: $sp.rate_per_s}),
 ($o + {label: "run_j\(.jobs)", n: .messages,
  desc: ("spool run -j \(.jobs) -- true over \(.messages) messages; CPU: the runner's own"
    + (if .run.overhead_cpu_us_per_msg then
       ", of which \(.run.overhead_cpu_us_per_msg) us beyond spawning"
       else "" end)),
  mean_us: .run.wall_us_per_msg, ops_per_s: .run.rate_per_s,
  maxrss_kb: .run.runner_maxrss_kb,
  cpu_us: .run.runner_cpu_us_per_msg.total}))
| select(.mean_us != null)),
($r | {suite: "run", kind: "ratio", label: "run_j\(.jobs)_rate/forkexec",
 desc: "run -j \(.jobs) rate / fork+exec loop rate (tests/bench/run)",
 num: "forkexec_loop", den: "run_j\(.jobs)", field: "mean_us",
 value: .ratio, samples: .repetitions, op: ">=", target: .target,
 pass: .met})
