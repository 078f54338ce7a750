#!/usr/bin/env python3
"""Splink (DuckDB backend), unsupervised, for the resolution benchmark.

Usage: splink_run.py febrl3|febrl4|people DATA... --truth PAIRS.csv

Settings follow Splink's own FEBRL examples: NameComparison on given name and surname,
DateOfBirthComparison, Damerau-Levenshtein on the social security id, exact street number and
postcode with term-frequency adjustment; probability_two_random_records_match from
deterministic rules, u by random sampling (1e6 pairs), m by EM on two blocking rules.
Prints one line: dataset, seconds (reading the CSVs to scored pairs), precision, recall, F1
(pairwise, match probability >= 0.5), scored pairs.
"""
import sys
import time
import warnings

import pandas as pd


def main():
    warnings.filterwarnings("ignore")
    kind = sys.argv[1]
    args = sys.argv[2:]
    truth_path = args[args.index("--truth") + 1]
    inputs = args[: args.index("--truth")]

    start = time.perf_counter()
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False).replace("", None) for p in inputs]
    db_api = DuckDBAPI()
    if kind in ("febrl3", "febrl4"):
        frames = [f.rename(columns={"rec_id": "unique_id"}) for f in frames]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        blocking = [
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ]
        deterministic = [
            "l.soc_sec_id = r.soc_sec_id",
            "l.given_name = r.given_name and l.surname = r.surname and l.date_of_birth = r.date_of_birth",
        ]
        em_rules = [block_on("date_of_birth"), block_on("postcode")]
    else:
        frames = [f.rename(columns={"id": "unique_id"}) for f in frames]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("locality").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("phone", [1]),
            cl.DamerauLevenshteinAtThresholds("document", [1, 2]),
        ]
        blocking = [
            block_on("given_name", "family_name"),
            block_on("family_name", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("phone"),
            block_on("document"),
        ]
        deterministic = [
            "l.document = r.document",
            "l.given_name = r.given_name and l.family_name = r.family_name and l.date_of_birth = r.date_of_birth",
        ]
        em_rules = [block_on("date_of_birth"), block_on("given_name", "family_name")]

    settings = SettingsCreator(
        link_type="link_only" if len(frames) == 2 else "dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    tables = [db_api.register(f) for f in frames]
    linker = Linker(tables if len(tables) == 2 else tables[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pairs = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    elapsed = time.perf_counter() - start

    truth = pd.read_csv(truth_path, dtype=str)
    a, b = truth.columns[:2]
    true_set = {(min(x, y), max(x, y)) for x, y in zip(truth[a], truth[b])}
    predicted = {
        (min(x, y), max(x, y)) for x, y in zip(pairs["unique_id_l"], pairs["unique_id_r"])
    }
    tp = len(predicted & true_set)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true_set) if true_set else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"{kind} {elapsed:.2f} {precision:.4f} {recall:.4f} {f1:.4f} {len(predicted)}")


if __name__ == "__main__":
    main()
