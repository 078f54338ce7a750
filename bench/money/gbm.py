#!/usr/bin/env python3
"""Minority-class F1 of a gradient-boosted model on Corridor's per-transaction features.

The method of the AMLworld papers (Altman et al. 2023; Egressy et al. 2024): one row per
transaction, a temporal split (the first 60% of transactions by time to train, the next 20% to
choose the decision threshold, the last 20% to test), a gradient-boosted tree classifier, and the
F1 of the illicit (minority) class on the test part.

    corridor money features --ledger SCENARIO --truth SCENARIO --out features.csv
    bench/.venv/bin/python bench/money/gbm.py features.csv [--label NAME]

Three feature sets are trained, so the contribution of each group shows: the transaction and
its ends' history only; those plus the typology kernels' alert flags; the alert flags alone.
One JSON line per feature set is printed.
"""

import argparse
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score, precision_score, recall_score

ALERT_COLUMNS = ["alerts_any", "alerts_count", "alert_typologies"]
# Channel and the alert bitmask are codes, not quantities.
CATEGORICAL = ["channel", "alert_typologies"]


def load(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
    if "illicit" not in header:
        sys.exit(f"{path}: no 'illicit' column (write it with --truth)")
    cols = header[1:]  # the id is not a feature
    data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, len(header)))
    return cols, data


def best_threshold(y, p):
    """The probability threshold with the highest F1 on the validation part."""
    best = (0.0, 0.5)
    for t in np.unique(np.quantile(p, np.linspace(0.5, 0.9999, 400))):
        f = f1_score(y, p >= t, zero_division=0)
        if f > best[0]:
            best = (f, t)
    return best[1]


def run(name, cols, data, features, label, seed):
    ts = data[:, cols.index("timestamp")]
    order = np.argsort(ts, kind="stable")
    data = data[order]
    n = len(data)
    a, b = int(n * 0.6), int(n * 0.8)
    idx = [cols.index(c) for c in features]
    x, y = data[:, idx], data[:, cols.index(label)].astype(int)
    cat = [i for i, c in enumerate(features) if c in CATEGORICAL]
    model = HistGradientBoostingClassifier(
        max_iter=300,
        learning_rate=0.1,
        max_leaf_nodes=63,
        categorical_features=cat or None,
        class_weight="balanced",
        early_stopping=False,
        random_state=seed,
    )
    started = time.time()
    model.fit(x[:a], y[:a])
    fit_s = time.time() - started
    t = best_threshold(y[a:b], model.predict_proba(x[a:b])[:, 1])
    pred = model.predict_proba(x[b:])[:, 1] >= t
    yt = y[b:]
    return {
        "features": name,
        "columns": len(features),
        "rows": n,
        "train": a,
        "test": n - b,
        "illicit_train": int(y[:a].sum()),
        "illicit_test": int(yt.sum()),
        "threshold": round(float(t), 4),
        "minority_f1": round(float(f1_score(yt, pred, zero_division=0)), 4),
        "precision": round(float(precision_score(yt, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(yt, pred, zero_division=0)), 4),
        "fit_seconds": round(fit_s, 1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("features_csv")
    ap.add_argument("--label", default="illicit")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cols, data = load(args.features_csv)
    base = [c for c in cols if c not in ("timestamp", args.label) and c not in ALERT_COLUMNS]
    for name, feats in [
        ("history", base),
        ("history+alerts", base + ALERT_COLUMNS),
        ("alerts", ALERT_COLUMNS),
    ]:
        print(json.dumps(run(name, cols, data, feats, args.label, args.seed)), flush=True)


if __name__ == "__main__":
    main()
