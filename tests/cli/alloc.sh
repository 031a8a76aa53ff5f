#!/usr/bin/env bash
# Allocation-failure injection over a whole report run (issue: reliability).  With a binary
# built with test hooks (the sanitizer build), REFNET_ALLOC_FAIL_AT=N makes the Nth allocation
# fail (and N=0 prints how many allocations a clean run makes).  For every N up to that count,
# a run must either succeed (a failure the code works around) or exit 70 with a message, leak
# nothing (LeakSanitizer would change the exit code), and leave no report folder behind.
set -u
refnet=$1; src=$2
if ! "$refnet" --version | grep -q 'test hooks'; then
  echo "skipped: $refnet has no test hooks (only the sanitizer build does)"
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$src/tests/data/config/." "$tmp/"
sed -i "s|dir: out|dir: $tmp/out|" "$tmp/good.yaml"
export ASAN_OPTIONS=detect_leaks=1:exitcode=99
REFNET_ALLOC_FAIL_AT=0 "$refnet" report "$tmp/good.yaml" --quiet 2>"$tmp/count" >/dev/null || {
  echo "FAIL: clean run"; cat "$tmp/count"; exit 1; }
count=$(sed -n 's/^refnet: \([0-9]*\) allocation calls$/\1/p' "$tmp/count")
rm -rf "$tmp/out"
fail=0 failed=0
for ((n = 1; n <= count; n++)); do
  REFNET_ALLOC_FAIL_AT=$n "$refnet" report "$tmp/good.yaml" --quiet >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  if ((rc == 0)); then
    [[ -f $tmp/out/report.html ]] || { echo "FAIL: allocation $n: success without a report"; fail=1; }
    rm -rf "$tmp/out"
    continue
  fi
  failed=$((failed + 1))
  if ((rc != 70)) || ! grep -q 'out of memory\|internal error' "$tmp/stderr"; then
    echo "FAIL: allocation $n: exit $rc"; cat "$tmp/stderr"; fail=1; break
  fi
  if compgen -G "$tmp/out*" >/dev/null; then
    echo "FAIL: allocation $n left a report folder behind"; ls -d "$tmp"/out*; fail=1; break
  fi
done
echo "report run: $count allocation calls; each failed in turn: $failed clean exits 70, the rest worked around"
exit $fail
