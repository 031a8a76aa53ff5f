#!/usr/bin/env bash
# refnet roi: the campaign and channel ROI table with the referral programme, identical to
# the report's campaigns.csv and channels.csv (golden); errors without spend.
set -u
refnet=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi; }
status() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
config=$src/datasets/sample/analysis.yaml
golden=$src/tests/data/golden/sample

check "roi stdout" 0 "$(status "$refnet" roi "$config")"
check "header" "group,name,spend,customers,cac,value_direct,value_network,roi_direct,roi_total,wom_multiplier" "$(head -1 "$tmp/out")"
python3 - "$tmp/out" "$golden/campaigns.csv" "$golden/channels.csv" "$golden/summary.json" <<'PY' || fail=1
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
fields = ["spend", "customers", "cac", "value_direct", "value_network", "roi_direct", "roi_total", "wom_multiplier"]
bad = []
for group, path in (("campaign", sys.argv[2]), ("channel", sys.argv[3])):
    want = list(csv.DictReader(open(path, newline="")))
    got = [r for r in rows if r["group"] == group]
    if len(got) != len(want) or any(g["name"] != w[group] or any(g[f] != w[f] for f in fields) for g, w in zip(got, want)):
        bad.append(group)
prog = [r for r in rows if r["group"] == "referral_programme"]
summary = json.load(open(sys.argv[4]))["roi"]["referral_programme"]
if len(prog) != 1 or float(prog[0]["spend"]) != summary["spend"] or float(prog[0]["roi_total"]) != summary["roi_total"]:
    bad.append("referral_programme")
if {r["group"] for r in rows} != {"campaign", "channel", "referral_programme"}:
    bad.append("groups")
if bad:
    print("FAIL roi rows differ from the report:", bad); sys.exit(1)
PY
check "roi -o" 0 "$(status "$refnet" roi "$config" -o "$tmp/roi.csv")"
"$refnet" roi "$config" | cmp -s - "$tmp/roi.csv" || { echo "FAIL -o differs from stdout"; fail=1; }

# without spend there is no ROI
mkdir -p "$tmp/d"; cp "$src"/datasets/sample/{customers,referrals,transactions}.csv "$tmp/d/"
printf 'inputs:\n  customers: customers.csv\n  referrals: referrals.csv\n  transactions: transactions.csv\n' > "$tmp/d/nospend.yaml"
check "no spend" 78 "$(status "$refnet" roi "$tmp/d/nospend.yaml")"
grep -q "needs a spend table" "$tmp/err" || { echo "FAIL message"; cat "$tmp/err"; fail=1; }
check "usage" 64 "$(status "$refnet" roi a.yaml b.yaml)"
exit $fail
