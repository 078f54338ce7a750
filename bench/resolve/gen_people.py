#!/usr/bin/env python3
"""Synthetic person records for the resolution benchmark, with their truth.

Usage: gen_people.py RECORDS OUT.csv   (also writes OUT.truth.csv: record_id,person_id, and
OUT.pairs.csv: the true pairs)

People on the route: Arabic-origin, Dari/Pashto and Kurdish given names written in their many
romanisations (and in Serbian/Macedonian Cyrillic), Balkan family names with and without
diacritics; 1 to 5 records per person. Each record goes through an agency's recording noise:
romanisation variant, Cyrillic script, dropped diacritics, a typo per name part, given/family
swap, date of birth missing / year-only / 01-01 placeholder / day-month swap, phone in another
format or missing, document number missing or mistyped. Deterministic for a given size.
"""
import random
import sys

GIVEN = {
    "muhammad": ["Muhammad", "Mohammad", "Mohammed", "Mohamed", "Mohamad", "Muhammed", "Muhamed", "Muhamet", "Мухамед", "Мохамед"],
    "ahmad": ["Ahmad", "Ahmed", "Ahmet", "Akhmed", "Ахмед", "Ахмад"],
    "husayn": ["Hussein", "Husein", "Hussain", "Husain", "Hossein", "Hysen", "Хусеин", "Хусејн"],
    "hasan": ["Hasan", "Hassan", "Хасан"],
    "jamal": ["Jamal", "Djamal", "Džamal", "Xhemal", "Џамал"],
    "khalid": ["Khalid", "Khaled", "Halid", "Halit", "Халид"],
    "qasim": ["Qasim", "Kasim", "Qasem", "Касим"],
    "abdulrahman": ["Abdul Rahman", "Abdulrahman", "Abd al-Rahman", "Abdurrahman", "Абдул Рахман"],
    "abdullah": ["Abdullah", "Abdallah", "Abdulla"],
    "yusuf": ["Yusuf", "Yousef", "Youssef", "Jusuf", "Јусуф"],
    "ibrahim": ["Ibrahim", "Ebrahim", "Ибрахим"],
    "mustafa": ["Mustafa", "Mostafa", "Moustafa", "Мустафа"],
    "umar": ["Omar", "Umar", "Omer", "Омар"],
    "ali": ["Ali", "Али"],
    "mahmud": ["Mahmoud", "Mahmud", "Mahmood", "Махмуд"],
    "karim": ["Karim", "Kareem", "Kerim"],
    "ghulam": ["Ghulam", "Gholam", "Gulam"],
    "shirzad": ["Shirzad", "Širzad", "Ширзад"],
    "rahmatullah": ["Rahmatullah", "Rahmat Ullah", "Rahmatollah"],
    "djordje": ["Đorđe", "Djordje", "Dorde", "Ђорђе"],
    "milos": ["Miloš", "Milos", "Милош"],
    "ljubomir": ["Ljubomir", "Љубомир"],
    "gezim": ["Gëzim", "Gezim", "Гезим"],
    "arber": ["Arbër", "Arber", "Арбер"],
    "xhevdet": ["Xhevdet", "Dževdet", "Џевдет"],
}
# More given names, written one way (plus their Latin-without-diacritics form where it differs).
GIVEN_PLAIN = """nabi sakhi zia farid javed tariq wahid samir nasir bilal hamid rashid fawad idris jawad
karam latif majid nadir omid parviz reza saeed said shafiq tahir wali yasin zaher aziz bashir daud
emal faisal ghani habib ismail jalal kamal luqman mansur nawid obaid qadir rafi sadiq taher usman
waheed yahya zaki marko nikola stefan luka filip aleksandar dusan nemanja vuk lazar bojan zoran
goran dragan milan jovan petar ivan dejan srdjan ardit besnik dritan endrit fatmir ilir kushtrim
labinot mentor petrit valon blerim agron bekim driton lulzim shpend artan edon granit""".split()

FAMILY_ROOTS = """ahmad hashim karim rahim nazar safar hakim wahid qadir amin azim jalal sharif
aziz latif majid nasir rashid samad zaman hussain haidar jafar sadat popal durrani stanekzai
jovan petr nikol marko stefan milosa djordj lazar ilic pavl mitr radov stojan dragan vuk bog
krasniq hoxh gash berish morin shal kelmend bytyq dem hajdar rexh sylej thaq kastrat""".split()
FAMILY_SUFFIX = ["i", "zai", "ovic", "ović", "ević", "evski", "ovski", "aj", "a", "ani", "yar", "zada", "ullah", "ić", "ov", "oski"]

CYR = {"a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ", "e": "е", "f": "ф", "g": "г",
       "h": "х", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к",
       "r": "р", "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "y": "и", "z": "з",
       "ž": "ж", "ë": "е", "ç": "ч"}
STRIP = str.maketrans("čćđšžëçČĆĐŠŽËÇ", "ccdszecCCDSZEC")
LOCALITIES = [
    "Beograd", "Novi Sad", "Niš", "Subotica", "Preševo", "Kikinda", "Sombor", "Šid", "Kanjiža",
    "Horgoš", "Skopje", "Kumanovo", "Tabanovce", "Gevgelija", "Lojane", "Vaksince", "Bitola",
    "Tetovo", "Prishtina", "Prizren", "Peja", "Gjilan", "Tirana", "Durrës", "Shkodër", "Vlorë",
    "Korçë", "Kakavija", "Sarajevo", "Bihać", "Velika Kladuša", "Zagreb", "Rijeka", "Ljubljana",
    "Dover", "Calais", "Folkestone",
]


def cyrillic(s):
    out = []
    low = s.lower()
    i = 0
    while i < len(low):
        two = low[i:i + 2]
        if two in ("lj", "nj", "dž", "sh", "zh", "xh", "kh"):
            out.append({"lj": "љ", "nj": "њ", "dž": "џ", "sh": "ш", "zh": "ж", "xh": "џ", "kh": "х"}[two])
            i += 2
            continue
        ch = low[i]
        out.append(CYR.get(ch, ch))
        i += 1
    r = "".join(out)
    return r[:1].upper() + r[1:]


def typo(rng, s):
    if len(s) < 3:
        return s
    i = rng.randrange(len(s) - 1)
    kind = rng.random()
    letters = "abcdefghijklmnoprstuvz"
    if kind < 0.6:
        return s[:i] + rng.choice(letters) + s[i + 1:]
    if kind < 0.75:
        return s[:i] + s[i + 1:]
    if kind < 0.87:
        return s[:i] + rng.choice(letters) + s[i:]
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    base = out[:-4] if out.endswith(".csv") else out
    rng = random.Random(20261127)
    given_keys = list(GIVEN) + GIVEN_PLAIN
    families = [r.capitalize() + s for r in FAMILY_ROOTS for s in FAMILY_SUFFIX]
    # Zipf-like popularity: a few names are very common (hard negatives), most are rare.
    gw = [1.0 / (i + 1) ** 0.8 for i in range(len(given_keys))]
    fw = [1.0 / (i + 1) ** 0.6 for i in range(len(families))]
    rng.shuffle(families)
    written = 0
    person = 0
    with open(out, "w", encoding="utf-8") as f, open(base + ".truth.csv", "w") as t, open(base + ".pairs.csv", "w") as p:
        f.write("id,given_name,family_name,date_of_birth,locality,phone,document\n")
        t.write("record_id,person_id\n")
        p.write("record_id_1,record_id_2\n")
        while written < n:
            person += 1
            g = rng.choices(given_keys, gw)[0]
            fam = rng.choices(families, fw)[0]
            year = rng.randint(1950, 2008)
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            true_dob = (year, month, day)
            loc = rng.choice(LOCALITIES)
            phone = "".join(str(rng.randrange(10)) for _ in range(7))
            cc = rng.choice(["381 6", "389 7", "383 4", "355 6", "44 7"])
            doc = rng.choice("PABCK") + "".join(str(rng.randrange(10)) for _ in range(8))
            copies = min(rng.choices([1, 2, 3, 4, 5], [55, 25, 11, 6, 3])[0], n - written)
            ids = []
            for k in range(copies):
                rid = f"p{person}-{k}"
                ids.append(rid)
                given = rng.choice(GIVEN[g]) if g in GIVEN else g.capitalize()
                family = fam
                if rng.random() < 0.2:
                    family = family.translate(STRIP)
                if rng.random() < 0.15 and not any("а" <= c <= "я" for c in given):
                    given, family = cyrillic(given), cyrillic(family)
                if rng.random() < 0.05:
                    given = typo(rng, given)
                if rng.random() < 0.05:
                    family = typo(rng, family)
                if rng.random() < 0.04:
                    given, family = family, given
                if rng.random() < 0.05:
                    family = ""
                r = rng.random()
                y, m, d = true_dob
                if r < 0.10:
                    dob = ""
                elif r < 0.18:
                    dob = f"{y}"
                elif r < 0.30:
                    dob = f"{y}-01-01"
                elif r < 0.32 and d <= 12:
                    dob = f"{y}-{d:02d}-{m:02d}"
                elif r < 0.35:
                    dob = f"{y + rng.choice([-1, 1])}-{m:02d}-{d:02d}"
                else:
                    dob = f"{y}-{m:02d}-{d:02d}"
                r = rng.random()
                if r < 0.4:
                    ph = ""
                elif r < 0.7:
                    ph = "+" + cc.replace(" ", "") + phone
                elif r < 0.9:
                    ph = "00" + cc + " " + phone[:3] + " " + phone[3:]
                else:
                    ph = "0" + cc.split(" ")[1] + phone
                dd = "" if rng.random() < 0.5 else (typo(rng, doc) if rng.random() < 0.03 else doc)
                lc = loc if rng.random() < 0.7 else (rng.choice(LOCALITIES) if rng.random() < 0.5 else "")
                f.write(f"{rid},{given},{family},{dob},{lc},{ph},{dd}\n")
                t.write(f"{rid},{person}\n")
                written += 1
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    p.write(f"{ids[a]},{ids[b]}\n")


if __name__ == "__main__":
    main()
