"""IBM snapml's GraphFeaturePreprocessor on a Corridor ledger CSV, with the windows of
corridor_money's defaults: fan and degree over 14 days, scatter-gather over 7, temporal cycles
over 30, vertex statistics of the amount. Prints one JSON line per thread count, with wall
and CPU seconds (the machine may be shared). ROWS, when set, takes only the first ROWS
transactions.

    [ROWS=200000] python bench/money/snapml_bench.py LEDGER.csv THREADS...
"""

import csv
import datetime
import json
import os
import sys
import time

import numpy as np
from snapml import GraphFeaturePreprocessor

DAY = 86_400


def load(path, limit):
    accounts = {}
    rows = []
    with open(path, newline="") as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i == limit:
                break
            ts = datetime.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))
            src = accounts.setdefault(r["from_account"], len(accounts))
            dst = accounts.setdefault(r["to_account"], len(accounts))
            rows.append((i, src, dst, ts.timestamp(), float(r["amount"])))
    x = np.array(rows, dtype=np.float64)
    return x[np.argsort(x[:, 3], kind="stable")]


def main():
    path = sys.argv[1]
    x = load(path, int(os.environ.get("ROWS", "-1")))
    for threads in [int(t) for t in sys.argv[2:]] or [1]:
        g = GraphFeaturePreprocessor()
        g.set_params(
            {
                "num_threads": threads,
                "time_window": 30 * DAY,
                "vertex_stats": True,
                "vertex_stats_tw": 14 * DAY,
                "vertex_stats_cols": [4],
                "fan": True,
                "fan_tw": 14 * DAY,
                "fan_bins": [2, 3, 4, 5, 8, 16],
                "degree": True,
                "degree_tw": 14 * DAY,
                "degree_bins": [2, 3, 4, 5, 8, 16],
                "scatter-gather": True,
                "scatter-gather_tw": 7 * DAY,
                "scatter-gather_bins": [2, 3, 4, 5, 8],
                "temp-cycle": True,
                "temp-cycle_tw": 30 * DAY,
                "temp-cycle_bins": [2, 3, 4, 5, 8],
                "lc-cycle": False,
            }
        )
        started, cpu = time.perf_counter(), time.process_time()
        out = g.fit_transform(x)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            json.dumps(
                {
                    "tool": "snapml.GraphFeaturePreprocessor",
                    "threads": threads,
                    "transactions": len(x),
                    "seconds": round(seconds, 3),
                    "tx_per_s": round(len(x) / seconds),
                    "cpu_seconds": round(cpu, 3),
                    "tx_per_cpu_s": round(len(x) / cpu),
                    "features": out.shape[1] - x.shape[1],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
