#!/bin/sh
# Runs one libFuzzer target for ctest: a fresh scratch corpus, a fixed seed (so a run that passes
# here passes on CI too; fuzz longer by hand with another -seed), and the fuzzer's log kept in a
# file. On failure the end of the log — the crash report and the reproducer's path — is printed
# first, because CI shows only the start of a failing test's output.
# usage: run_fuzzer.sh FUZZER SCRATCH_CORPUS LOG SEED_CORPUS [libFuzzer flags...]
set -u
fuzzer=$1 scratch=$2 log=$3 seeds=$4
shift 4
rm -rf "$scratch" && mkdir -p "$scratch"
"$fuzzer" -seed=1 -artifact_prefix="$(dirname "$log")/" "$@" "$scratch" "$seeds" >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzzer failed (exit $status); end of $log:"
  tail -n 60 "$log"
  echo "--- whole log follows ---"
fi
grep -E '^(Done|stat::)' "$log"
[ "$status" -eq 0 ] || cat "$log"
exit "$status"
