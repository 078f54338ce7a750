"""Pairwise and cluster quality of a store's person subjects against a scenario's truth.

Usage: quality.py STORE.db SCENARIO_DIR
Prints one line: records, subjects, pairwise precision / recall / F1.
"""
import collections
import csv
import sqlite3
import sys

store, scenario = sys.argv[1:3]
found = {}
with sqlite3.connect(store) as db:
    for o, r, s in db.execute(
        "SELECT originator, record_id, subject_id FROM subject_members WHERE kind = 'person'"
    ):
        found[(o, r)] = s
truth = {}
with open(f"{scenario}/truth/record_person.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        key = (row["agency"], row["record_id"])
        if key in found:
            truth[key] = row["person_id"]


def pairs(labels):
    groups = collections.defaultdict(list)
    for k, label in labels.items():
        groups[label].append(k)
    out = set()
    for g in groups.values():
        g.sort()
        for i, a in enumerate(g):
            for b in g[i + 1:]:
                out.add((a, b))
    return out


f = pairs({k: found[k] for k in truth})
t = pairs(truth)
tp = len(f & t)
p = tp / max(len(f), 1)
r = tp / max(len(t), 1)
f1 = 2 * p * r / max(p + r, 1e-12)
print(
    f"{len(found)} person records, {len(set(found.values()))} subjects; "
    f"pairwise precision {p:.4f} recall {r:.4f} F1 {f1:.4f}"
)

# Hard negatives: labelled pairs of different people made to look alike (relatives sharing a
# family name and a phone, namesakes), as the scenario lists them in truth/pairs.csv.
apart = together = 0
with open(f"{scenario}/truth/pairs.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["same_person"] != "0" or row["hard_negative"] != "1":
            continue
        a = tuple(row["record_a"].split("/", 1))
        b = tuple(row["record_b"].split("/", 1))
        if a in found and b in found:
            if found[a] == found[b]:
                together += 1
            else:
                apart += 1
if apart + together:
    print(f"hard negatives kept apart: {apart} of {apart + together} ({apart / (apart + together):.4f})")
