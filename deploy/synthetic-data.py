#!/usr/bin/python3
"""synthetic-data.py: deterministic, clearly labelled demonstration assessments.

No real scores of real states come with Vigil (the 2012 rankings were never
published in machine-readable form), so the quickstart submits these instead,
through the client, like a regional office would. Everything written is
synthetic and says so: every justification begins with "SYNTHETIC:" and every
evidence citation reads "Synthetic source N" with an example.org link.

Output: the CSV that `vigil submit` reads (`vigil submit --help`):
    state,cycle,indicator,level,justification,evidence
one row per state, cycle and applicable indicator of the methodology
"ecpat-2012" (levels by label: yes, partial, no, no data, not assessed; CA.2 on
the adequacy scale and only where CA.1 is yes or partial).

The same seed gives the same file, byte for byte (Python's random seeded with
a string is stable across runs and versions 3.2+). The data is shaped to
exercise the rankings: states differ in overall capacity, most improve from
one cycle to the next while some fall back, a few have "no data" or "not
assessed" levels, about 13% have no services for victims (CA.1 = no) and,
where there are services, most are "woefully inadequate" (the two facts of the
founding document), two states per cycle miss the minimum coverage, one has
no rated indicator in the Care area, and two pairs of states get identical
levels so that rankings have ties.

Standard library only.
"""

import argparse
import csv
import random
import sys

# 42 states and territories, as the founding document assessed forty-two,
# from every region (ISO 3166-1 alpha-2 codes; names come from the server).
STATES = [
    # Asia and the Pacific
    "TH", "KH", "VN", "LA", "PH", "ID", "MY", "MM", "IN", "NP", "BD", "LK",
    "PK", "CN", "HK", "TW", "JP", "KR", "MN", "AU", "NZ",
    # Europe
    "GB", "FR", "DE", "NL", "SE", "UA", "MD", "RO", "AL", "RU",
    # Africa
    "NG", "KE", "GH", "CI", "ZA", "MA", "EG",
    # The Americas
    "BR", "MX", "CO", "GT",
]

CYCLES = ["2005-2008", "2009-2012"]  # the earlier one is the predecessor

# The indicators of ecpat-2012, each with a difficulty: how much capacity a
# state needs before it tends to answer "yes".
INDICATORS = [
    ("PR.1", 0.00), ("PR.2", 0.25), ("PR.3", 0.20), ("PR.4", 0.15),
    ("PR.5", 0.05), ("PR.6", 0.05), ("PR.7", 0.20), ("PR.8", 0.25),
    ("PV.1", 0.10), ("PV.2", 0.35), ("PV.3", 0.30), ("PV.4", 0.30),
    ("CA.1", None), ("CA.2", None), ("CA.3", 0.45), ("CA.4", 0.30),
]

YPN = ["yes", "partial", "no"]


def rng_for(seed, *parts):
    """A generator of its own per purpose, so that choosing fewer states or
    cycles does not change the values of the others."""
    return random.Random(":".join([str(seed)] + [str(p) for p in parts]))


def capacities(seed, state):
    """The state's capacity (0..1) in each cycle: most improve, some fall."""
    r = rng_for(seed, state, "capacity")
    first = min(0.95, max(0.05, r.betavariate(2.2, 2.2)))
    change = r.gauss(0.08, 0.12)
    return {CYCLES[0]: first, CYCLES[1]: min(0.98, max(0.02, first + change))}


def ypn_level(r, capacity, difficulty):
    score = capacity - difficulty + r.gauss(0, 0.18)
    if score > 0.45:
        return "yes"
    if score > 0.15:
        return "partial"
    return "no"


def care_levels(r, capacity):
    """CA.1 (services exist) and CA.2 (their adequacy): about 13% with no
    services; where they exist, over three quarters woefully inadequate."""
    if r.random() < 0.13:
        return "no", None
    ca1 = "yes" if r.random() < 0.35 + capacity / 2 else "partial"
    u = r.random()
    if u < 0.82:
        ca2 = "woefully inadequate"
    elif u < 0.92:
        ca2 = "adequate"
    elif u < 0.96:
        ca2 = "comprehensive and specialised"
    elif u < 0.99:
        ca2 = "none"
    else:
        ca2 = "no data"
    return ca1, ca2


def levels_for(seed, state, cycle, capacity):
    """{indicator: label} for one state and cycle (CA.2 left out when it
    does not apply)."""
    r = rng_for(seed, state, cycle, "levels")
    care = rng_for(seed, state, "care")  # services change little between cycles
    ca1, ca2 = care_levels(care, capacity)
    out = {}
    for code, difficulty in INDICATORS:
        if code == "CA.1":
            out[code] = ca1
        elif code == "CA.2":
            if ca2 is not None:
                out[code] = ca2
        else:
            out[code] = ypn_level(r, capacity, difficulty)
        u = r.random()
        if code in out and code != "CA.2" and u < 0.04:
            out[code] = "no data"
        elif code in out and code != "CA.2" and u < 0.06:
            out[code] = "not assessed"
    if out["CA.1"] not in ("yes", "partial"):
        out.pop("CA.2", None)  # a "no data" CA.1 leaves CA.2 not applicable
    return out


def shape(seed, cycle, table, states):
    """Cases the rankings must handle: low coverage, an area without a rated
    indicator, and ties."""
    r = rng_for(seed, cycle, "shape")
    pool = [s for s in states if s in table]
    if len(pool) < 7:
        return
    picked = r.sample(pool, 7)
    for state in picked[:2]:  # coverage below 0.75
        for code in list(table[state])[::2]:
            if code != "CA.1":
                table[state][code] = "no data"
    care = table[picked[2]]  # no rated indicator in Care
    care["CA.1"] = "no data"
    care.pop("CA.2", None)
    care["CA.3"] = "not assessed"
    care["CA.4"] = "no data"
    for a, b in ((picked[3], picked[4]), (picked[5], picked[6])):  # ties
        table[b] = dict(table[a])
    calibrate(table, pool)


def calibrate(table, states):
    """Keeps the founding document's second fact true of the sample, which
    is small enough for chance to break it: of the states with services and
    a valued CA.2, over three quarters are woefully inadequate (at least 78%)."""
    valued = [s for s in states if table[s].get("CA.2") not in (None, "no data")]
    for s in valued:
        woeful = sum(1 for v in valued if table[v]["CA.2"] == "woefully inadequate")
        if woeful >= 0.78 * len(valued):
            break
        if table[s]["CA.2"] != "woefully inadequate":
            table[s]["CA.2"] = "woefully inadequate"


def evidence(r, state, cycle, code, counter):
    first, last = (int(y) for y in cycle.split("-"))
    items = []
    for _ in range(r.choice([0, 1, 1, 1, 2])):
        counter[0] += 1
        date = "%d-%02d-%02d" % (r.randint(first, last), r.randint(1, 12), r.randint(1, 28))
        url = "https://example.org/synthetic/%s/%s/%s" % (state, cycle, code)
        if r.random() < 0.8:
            items.append("Synthetic source %d | %s | %s" % (counter[0], url, date))
        else:
            items.append("Synthetic source %d | | %s" % (counter[0], date))
    return "\n".join(items)


def justification(r, state, cycle, code, label, seed):
    text = ("SYNTHETIC: generated demonstration data (seed %d), not an assessment of %s; "
            "%s is \"%s\" for %s." % (seed, state, code, label, cycle))
    if r.random() < 0.15:
        text += "\nSecond line, to exercise multi-line cells."
    return text


def rows(seed, states, cycles):
    counter = [0]
    for cycle in CYCLES:
        if cycle not in cycles:
            continue
        table = {s: levels_for(seed, s, cycle, capacities(seed, s)[cycle]) for s in states}
        shape(seed, cycle, table, states)
        for state in states:
            r = rng_for(seed, state, cycle, "text")
            for code, _ in INDICATORS:
                if code not in table[state]:
                    continue
                label = table[state][code]
                yield [state, cycle, code, label,
                       justification(r, state, cycle, code, label, seed),
                       evidence(r, state, cycle, code, counter)]


def main():
    p = argparse.ArgumentParser(
        description="Write deterministic, synthetic demonstration assessments as the CSV "
                    "that `vigil submit` reads (state,cycle,indicator,level,justification,"
                    "evidence) for the methodology ecpat-2012. Every justification begins "
                    "with \"SYNTHETIC:\" and every citation is \"Synthetic source N\".",
        epilog="Default: 42 states (" + " ".join(STATES) + ") over the cycles "
               + " and ".join(CYCLES) + ". The same seed always gives the same file.")
    p.add_argument("--seed", type=int, default=2012, help="random seed (default 2012)")
    p.add_argument("--cycle", action="append", choices=CYCLES,
                   help="only this cycle (repeatable; default both)")
    p.add_argument("--state", action="append", metavar="XX",
                   help="only this state (repeatable; default the 42)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    a = p.parse_args()
    states = [s.upper() for s in a.state] if a.state else STATES
    cycles = a.cycle or CYCLES
    out = open(a.out, "w", newline="", encoding="utf-8") if a.out else sys.stdout
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["state", "cycle", "indicator", "level", "justification", "evidence"])
    for row in rows(a.seed, states, cycles):
        w.writerow(row)
    if a.out:
        out.close()


if __name__ == "__main__":
    main()
