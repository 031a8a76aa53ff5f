#!/usr/bin/env bash
# Allocation failures across a whole `refnet report` run, then `refnet rank` (sanitizer builds, where
# REFNET_ALLOC_FAIL_AT=N makes the Nth allocation fail): every N up to the run's allocation
# count either fails cleanly - exit 70, no sanitizer report, no report folder, no temporary
# folder - or, where the library has a fallback, succeeds with the same report.  Skips in
# builds without the hook.
set -u
refnet=$1; [[ "$refnet" = /* ]] || refnet=$PWD/$refnet
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
printf 'customer,acquired,channel,campaign\na,2024-01-01,search,s1\nb,2024-01-05,,\nc,2024-01-09,tv,t1\nd,2024-01-20,,\ne,2024-02-01,search,s1\n' > customers.csv
printf 'referrer,referred,date,weight,reward\na,b,2024-01-04,1,5\na,d,2024-01-19,2,5\nc,d,2024-01-18,1,5\nd,a,2024-02-02,1,0\n' > referrals.csv
printf 'customer,date,amount\na,2024-01-01,10\na,2024-02-01,12\nb,2024-01-05,8\nc,2024-01-09,20\nc,2024-03-01,5\nd,2024-01-20,7\ne,2024-02-01,9\n' > transactions.csv
printf 'campaign,date,amount,channel\ns1,2024-01-01,100,search\nt1,2024-01-08,300,tv\ns1,2024-01-29,50,search\n' > spend.csv
printf 'inputs:\n  customers: customers.csv\n  referrals: referrals.csv\n  transactions: transactions.csv\n  spend: spend.csv\nreport:\n  graph_export: graphml\n' > small.yaml
"$refnet" report small.yaml --quiet --out ref || { echo "FAIL reference run"; exit 1; }
if REFNET_ALLOC_FAIL_AT=1 "$refnet" report small.yaml --quiet --out probe 2>/dev/null; then
  echo "report_alloc: skipped (this build has no allocation-failure hook; see the sanitizer build)"
  exit 0
fi
fail=0 n=1 successes=0
# the sweep ends after 40 successes in a row: N is then past the last allocation
while (( successes < 40 && n < 20000 )); do
  rm -rf out
  REFNET_ALLOC_FAIL_AT=$n "$refnet" report small.yaml --quiet --out out >/dev/null 2>err; rc=$?
  if grep -q 'Sanitizer' err; then echo "FAIL N=$n: sanitizer report"; head -5 err; fail=1; fi
  if (( rc == 0 )); then
    successes=$((successes + 1))
    for f in report.md customers.csv summary.json graph.graphml; do
      cmp -s "ref/$f" "out/$f" || { echo "FAIL N=$n: success with a different $f"; fail=1; }
    done
  else
    successes=0
    (( rc == 70 )) || { echo "FAIL N=$n: exit $rc"; head -3 err; fail=1; }
    [[ ! -e out ]] || { echo "FAIL N=$n: a failed run left the report folder"; fail=1; }
  fi
  if ls | grep -q 'tmp-'; then echo "FAIL N=$n: temporary folder left"; fail=1; rm -rf ./*tmp-*; fi
  n=$((n + 1))
done
echo "report_alloc: swept $((n - 1)) allocation points"

# refnet rank the same way: each N fails with exit 70 and leaves no output (nor its temporary),
# or succeeds with the same bytes; where the two row buffers cannot be had, the rows are
# written one at a time (the same bytes).
"$refnet" rank referrals.csv -o rank_ref.csv || { echo "FAIL rank reference run"; exit 1; }
n=1 successes=0
while (( successes < 40 && n < 20000 )); do
  rm -f rank.csv
  REFNET_ALLOC_FAIL_AT=$n "$refnet" rank referrals.csv -o rank.csv >/dev/null 2>err; rc=$?
  if grep -q 'Sanitizer' err; then echo "FAIL rank N=$n: sanitizer report"; head -5 err; fail=1; fi
  if (( rc == 0 )); then
    successes=$((successes + 1))
    cmp -s rank_ref.csv rank.csv || { echo "FAIL rank N=$n: success with different rows"; fail=1; }
  else
    successes=0
    (( rc == 70 )) || { echo "FAIL rank N=$n: exit $rc"; head -3 err; fail=1; }
    [[ ! -e rank.csv ]] || { echo "FAIL rank N=$n: a failed run left its output"; fail=1; }
  fi
  [[ ! -e rank.csv.tmp ]] || { echo "FAIL rank N=$n: temporary output left"; fail=1; rm -f rank.csv.tmp; }
  n=$((n + 1))
done
echo "report_alloc: rank swept $((n - 1)) allocation points"
exit $fail
