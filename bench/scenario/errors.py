"""False positives and false negatives of a scenario resolution run, classified.

Usage: errors.py OUT_DIR [EXAMPLES]
Reads OUT_DIR/persons.csv, OUT_DIR/truth_pairs.csv, OUT_DIR/link/pairs.csv and the scenario's
truth (OUT_DIR/scn/truth), as bench/scenario/resolve.sh leaves them. Prints counts per class
and a few examples of each, then writes OUT_DIR/errors.csv (one row per wrong pair).
"""
import collections
import csv
import sys
import unicodedata

out = sys.argv[1]
examples = int(sys.argv[2]) if len(sys.argv) > 2 else 4

records = {}
with open(f"{out}/persons.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        records[r["id"]] = r

person_of = {}
with open(f"{out}/scn/truth/record_person.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        person_of[r["agency"] + "/" + r["record_id"]] = r["person_id"]
persons = {}
with open(f"{out}/scn/truth/persons.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        persons[r["person_id"]] = r
payers_of = collections.defaultdict(set)
with open(f"{out}/scn/truth/journeys.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        for p in r["payers"].split(";"):
            if p:
                payers_of[r["migrant"]].add(p)

truth = set()
with open(f"{out}/truth_pairs.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        truth.add(tuple(sorted((r["record_a"], r["record_b"]))))
predicted = {}
with open(f"{out}/link/pairs.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        if float(r["match_probability"]) >= 0.5:
            predicted[tuple(sorted((r["record_id_l"], r["record_id_r"])))] = float(
                r["match_weight"]
            )


def key(s):
    s = unicodedata.normalize("NFKD", s or "").lower()
    return "".join(c for c in s if c.isalnum())


def relation(pa, pb):
    if payers_of.get(pa, set()) & payers_of.get(pb, set()):
        return "siblings (one payer)"
    if pb in payers_of.get(pa, set()) or pa in payers_of.get(pb, set()):
        return "migrant and payer"
    return ""


def classify_fp(a, b):
    ra, rb = records[a], records[b]
    pa, pb = person_of.get(a), person_of.get(b)
    rel = relation(pa, pb)
    same_given = key(ra["given_name"]) and key(ra["given_name"]) == key(rb["given_name"])
    same_family = key(ra["family_name"]) and key(ra["family_name"]) == key(rb["family_name"])
    same_phone = ra["phone"] and ra["phone"] == rb["phone"]
    sexes = {persons[pa]["sex"], persons[pb]["sex"]} if pa and pb else set()
    parts = []
    if rel:
        parts.append(rel)
    if same_given and same_family:
        parts.append("same name")
    elif same_family:
        parts.append("same family name")
    elif same_given:
        parts.append("same given name")
    else:
        parts.append("names differ")
    parts.append("same phone" if same_phone else "")
    da, db = ra["date_of_birth"], rb["date_of_birth"]
    if da and db:
        if da == db:
            parts.append("same dob" + (" (01-01)" if da.endswith("-01-01") else ""))
        else:
            parts.append("dob differ")
    else:
        parts.append("dob missing")
    if len(sexes) == 2:
        parts.append("sex differs")
    return ", ".join(p for p in parts if p)


def classify_fn(a, b, weight):
    ra, rb = records[a], records[b]
    parts = []
    for col in ("given_name", "family_name", "date_of_birth", "phone", "identifier"):
        va, vb = key(ra[col]), key(rb[col])
        if not va or not vb:
            parts.append(f"{col} missing")
        elif va != vb:
            parts.append(f"{col} differs")
    if ra["full_name"] or rb["full_name"]:
        parts.append("full name only")
    parts.append("not scored" if weight is None else "below threshold")
    return ", ".join(parts)


fps = collections.defaultdict(list)
for pair, w in predicted.items():
    if pair not in truth:
        fps[classify_fp(*pair)].append(pair)
fns = collections.defaultdict(list)
with open(f"{out}/link/pairs.csv", encoding="utf-8") as f:
    scored = {
        tuple(sorted((r["record_id_l"], r["record_id_r"]))): float(r["match_weight"])
        for r in csv.DictReader(f)
    }
for pair in truth:
    if pair not in predicted:
        fns[classify_fn(*pair, scored.get(pair))].append(pair)


def show(title, groups):
    total = sum(len(v) for v in groups.values())
    print(f"== {title}: {total}")
    for cls, pairs in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:25]:
        print(f"{len(pairs):6d}  {cls}")
        for a, b in pairs[:examples]:
            ra, rb = records[a], records[b]
            cols = ("given_name", "family_name", "full_name", "date_of_birth", "phone",
                    "country", "identifier")
            print("          ", " | ".join(ra[c] for c in cols), f"  [{person_of.get(a)}]")
            print("          ", " | ".join(rb[c] for c in cols), f"  [{person_of.get(b)}]")


show("false positives", fps)
show("false negatives", fns)
with open(f"{out}/errors.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["kind", "class", "record_a", "record_b"])
    for kind, groups in (("fp", fps), ("fn", fns)):
        for cls, pairs in groups.items():
            for a, b in pairs:
                w.writerow([kind, cls, a, b])
