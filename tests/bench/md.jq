# md.jq: results.json to the Markdown tables of README.md.
def num: if . == null then "-"
	 elif . >= 100 then (. | round | tostring)
	 elif . >= 10 then ((. * 10 | round) / 10 | tostring)
	 else ((. * 100 | round) / 100 | tostring) end;
def cell: tostring | gsub("\\|"; "\\|");
"Measured " + .generated + " on " + .machine.cpu + ", "
+ (.machine.cores | tostring) + " cores, " + .machine.memory + ", "
+ .machine.os + ", kernel " + .machine.kernel + "; scratch filesystem: "
+ .filesystem + ". Load average before the run: " + .load_before
+ ". Mode: " + (if .quick then "quick" else "full" end)
+ "; spool " + .spool_version + " at commit " + .commit + ".",
"",
"| suite | operation | µs/op | ops/s | peak RSS KiB | CPU µs/op | what |",
"|---|---|--:|--:|--:|--:|---|",
(.records[] | select(.kind == "op") |
 "| " + .suite + " | " + .label + " | " + (.mean_us | num) + " | "
 + (.ops_per_s | num) + " | "
 + (if (.maxrss_kb // 0) == 0 then "-" else (.maxrss_kb | tostring) end)
 + " | " + (if (.cpu_us // 0) == 0 then "-" else (.cpu_us | num) end)
 + " | " + (if .reps == 0 then "FAILED: " + (.error // "" | split("\n")[0])
            else .desc end | cell) + " |"),
"",
"| suite | ratio | value | target | met | what |",
"|---|---|--:|---|---|---|",
(.records[] | select(.kind == "ratio") |
 "| " + .suite + " | " + .label + " | " + (.value | num) + " | "
 + (if .op == "~" then "-" else .op + " " + (.target | tostring) end) + " | "
 + (if .op == "~" then "info" elif .pass == null then "n/a"
    elif .pass then "yes" else "**no**" end)
 + " | " + (.desc | cell) + " |")
