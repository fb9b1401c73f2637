#!/usr/bin/env bash
# What `trainfit watch` costs the machine it watches: CPU time per sample and resident memory of
# the watcher, at 1 s and 100 ms intervals, wrapping `sleep` (so every cycle is the watcher's
# own: /proc and sysfs reads, NVML where there is a driver, the JSON line, the plain line).
#
# Usage: probe/benches/watch-cost.sh [BINARY] [SECONDS]   (default target/release/trainfit, 60)
#
# The watcher's user + system time comes from /proc/PID/stat (fields 14 and 15, in clock ticks
# of sysconf(_SC_CLK_TCK), proc(5)), read one second before the wrapped command ends, and is
# divided by the samples taken until then; its resident memory is /proc/PID/status VmRSS at that
# moment and VmHWM (the high-water mark).
set -euo pipefail
BIN=${1:-target/release/trainfit}
RUN=${2:-60}
TICK=$(getconf CLK_TCK)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-9s %8s %14s %16s %10s %10s\n' interval samples "cpu ms total" "cpu ms/sample" "VmRSS MiB" "VmHWM MiB"
for interval in 1s 100ms; do
  "$BIN" watch --interval "$interval" --jsonl "$tmp/samples.jsonl" -- sleep "$RUN" 2>/dev/null &
  pid=$!
  sleep $((RUN - 1))
  stat=$(cat "/proc/$pid/stat")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  samples=$(wc -l < "$tmp/samples.jsonl")
  wait "$pid"
  # Fields after the command name's closing parenthesis: state is field 3, utime 14, stime 15.
  ticks=$(echo "${stat##*)}" | awk '{print $12 + $13}')
  awk -v i="$interval" -v n="$samples" -v t="$ticks" -v hz="$TICK" -v r="$rss" -v h="$hwm" \
    'BEGIN { ms = t * 1000 / hz; printf "%-9s %8d %14.0f %16.2f %10.1f %10.1f\n", i, n, ms, ms / n, r / 1024, h / 1024 }'
done
