# summary.jq: raw benchmark lines (slurped) to summary records.
# $suite: the script's name; $desc: descriptions and ratio definitions.
def median:
	map(select(. != null)) | sort |
	if length == 0 then null
	elif length % 2 == 1 then .[(length - 1) / 2]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r3: if . == null then null else (. * 1000 | round) / 1000 end;

($desc | map(select(.label != null)) | map({(.label): .desc}) | add // {})
    as $d
| ($desc | map(.label // empty) | to_entries
   | map({(.value): .key}) | add // {}) as $pos
| . as $raw
| (group_by(.label) | sort_by($pos[.[0].label] // 1000) | .[]
   | . as $g
   | map(select(.error == null)) as $ok
   | {suite: $suite, kind: "op", label: $g[0].label,
      desc: ($d[$g[0].label] // ""),
      reps: ($ok | length), n: ($ok[0].n // null),
      mean_us: ($ok | map(.mean_us) | median | r3),
      p50_us: ($ok | map(.p50_us) | median | r3),
      p90_us: ($ok | map(.p90_us) | median | r3),
      ops_per_s: (($ok | map(.mean_us) | median) as $m
          | if $m == null or $m == 0 then null else (1e6 / $m | r3) end),
      maxrss_kb: ($ok | map(.maxrss_kb // null) | max),
      cpu_us: ($ok | map(.child_cpu_us // null) | median | r3),
      names: ($ok[0].names // null),
      errors: (($g | length) - ($ok | length)),
      error: ($g | map(select(.error != null)) | last | .error // null)}),
  ($desc[] | select(.ratio != null) | . as $r
   | [$raw[] | select(.error == null and .label == $r.num)] as $a
   | [$raw[] | select(.error == null and .label == $r.den)] as $b
   | (if $r.den == "-" then [$a[] | .[$r.field] / 1e6]
      else [$a[] | . as $x | $b[] | select(.rep == $x.rep)
            | select(.[$r.field] > 0) | $x[$r.field] / .[$r.field]] end) as $v
   | ($v | median) as $m
   | {suite: $suite, kind: "ratio", label: $r.ratio, desc: $r.desc,
      num: $r.num, den: $r.den, field: $r.field, value: ($m | r3),
      samples: ($v | length), op: $r.op, target: $r.target,
      pass: (if $m == null or $r.op == "~" then null
             elif $r.op == "<=" then $m <= $r.target
             else $m >= $r.target end)})
