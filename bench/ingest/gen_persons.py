#!/usr/bin/env python3
"""Writes the ingest benchmark's input: N synthetic person rows as a Serbian border-police CSV.

Deterministic (fixed seed), mixed Cyrillic and Latin names, dd.mm.yyyy. dates, national phone
numbers, a few rows with errors (about 0.5%) so the reject path is exercised too.
Usage: gen_persons.py ROWS OUT.csv
"""
import random
import sys

FIRST = ["Ђорђе", "Đorđe", "Милош", "Miloš", "Mohammad", "Мухамед", "Abdul Rahman", "Hussein",
         "Хусеин", "Gëzim", "Arbër", "Ljubiša", "Qasim", "Shirzad", "Ширзад", "Khalid", "Халид",
         "Jamal", "Џамал", "Rahmatullah", "Ghulam", "Xhevdet", "Ѓорѓи", "Ќиро", "Zoran", "Ana"]
LAST = ["Јовановић", "Jovanović", "Петровић", "Petrović", "Ahmadi", "Ахмади", "Rahimi", "Krasniqi",
        "Краснићи", "Hoxha", "Хоџа", "Çela", "Noori", "Karimi", "Hassan", "Sultani", "Трајковски",
        "Stojanovski", "Živković", "Ahmadzai", "Husseini", "Nabi", "Popović", "Marković"]
PLACES = ["Кабул", "Kabul", "Herat", "Damask", "Alep", "Багдад", "Erbil", "Prizren", "Tirana",
          "Beograd", "Скопје", "Kunduz", "Mazar-i-Sharif"]
NATS = ["AFG", "AFG", "AFG", "SYR", "SYR", "IRQ", "PAK", "SRB", "ALB", "MKD", "XKX", "IRN"]


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(20231101)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("id,ime,prezime,ime_oca,pol,datum_rodjenja,mesto_rodjenja,drzavljanstvo,telefon,izvor,napomena\n")
        for i in range(rows):
            day, month, year = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(1955, 2006)
            dob = f"{day:02}.{month:02}.{year}." if rnd.random() > 0.1 else str(year)
            if rnd.random() < 0.005:
                dob = f"31.02.{year}."  # impossible date: a reject
            phone = f"06{rnd.randint(0, 9)} {rnd.randint(100, 999)} {rnd.randint(1000, 9999)}" if rnd.random() < 0.6 else ""
            note = "" if rnd.random() < 0.7 else f"presretnut u grupi od {rnd.randint(2, 40)} lica"
            f.write(",".join([
                f"BP-{i:08}", rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(FIRST),
                rnd.choice("MMMMŽ"), dob, rnd.choice(PLACES), rnd.choice(NATS), phone,
                rnd.choice("ABBBCCX"), note,
            ]) + "\n")


if __name__ == "__main__":
    main()
