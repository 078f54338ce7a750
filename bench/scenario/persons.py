"""Person records of a scenario, from a store's FollowTheMoney export, as a CSV that
`corridor link` reads (roles by column name), and the true pairs from the scenario's truth.

Usage: persons.py EXPORT.jsonl SCENARIO_DIR OUT_DIR
Writes OUT_DIR/persons.csv and OUT_DIR/truth_pairs.csv.
"""
import collections
import csv
import json
import sys

export, scenario, out = sys.argv[1:4]
rows = []
with open(export, encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        if e["schema"] != "Person":
            continue
        p = e["properties"]
        env = e.get("corridor", {})

        def first(key):
            return (p.get(key) or [""])[0]

        rows.append({
            "id": env.get("originator", "") + "/" + e["id"],
            "source": env.get("originator", ""),
            "given_name": first("firstName"),
            "family_name": first("lastName"),
            "full_name": first("name"),
            "date_of_birth": first("birthDate"),
            "country": first("nationality"),
            "phone": first("phone"),
            "document": first("passportNumber"),
            "identifier": first("idNumber") or first("fingerprintHash"),
            "sex": first("gender"),
            "father_name": first("fatherName"),
        })
with open(f"{out}/persons.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
ids = {r["id"] for r in rows}
by_person = collections.defaultdict(list)
with open(f"{scenario}/truth/record_person.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        key = r["agency"] + "/" + r["record_id"]
        if key in ids:
            by_person[r["person_id"]].append(key)
pairs = 0
with open(f"{out}/truth_pairs.csv", "w", encoding="utf-8") as f:
    f.write("record_a,record_b\n")
    for recs in by_person.values():
        for i, a in enumerate(recs):
            for b in recs[i + 1:]:
                f.write(f"{a},{b}\n")
                pairs += 1
print(f"{len(rows)} person records, {pairs} true pairs", file=sys.stderr)
