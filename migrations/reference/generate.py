#!/usr/bin/python3
"""generate.py: regenerates Vigil's reference data, the region tree (UN M49)
and the states (ISO 3166-1), from the Debian packages that maintain them, into
the migration migrations/0002_reference.sql.

Sources (Debian 12 paths; deploy/install-deps.sh installs both packages):
  iso-codes          /usr/share/iso-codes/json/iso_3166-1.json
                     every alpha-2 code and its English short name, the field
                     "name" (e.g. "Hong Kong", "Côte d'Ivoire", "Korea,
                     Republic of"). Not "common_name" (absent for most entries)
                     nor "official_name": the short name is the one ISO 3166-1
                     publishes for lists, and names are part of published data
                     (ties in rankings are ordered by them).
  unicode-cldr-core  /usr/share/unicode/cldr/common/supplemental/supplementalData.xml
                     <territoryContainment>, CLDR's copy of the UN M49
                     containment; region names from common/main/en.xml.

Choices (the UN M49 tree, nothing else):
  - Groups with status="deprecated" are ignored, and so are CLDR's own
    groupings that are not M49 regions: EU, EZ, UN, QU, QO ("Outlying
    Oceania") and 003 ("North America", which overlaps 021/013/029).
  - CLDR marks two M49 levels as groupings because they overlap its flat
    lists: 202 Sub-Saharan Africa (in 002 Africa) and 419 Latin America and the
    Caribbean (in 019 Americas). They are kept, nested as M49 nests them, so
    that 011/014/017/018 sit under 202 and 005/013/029 under 419.
  - A state's region is the smallest region containing it (e.g. TH -> 035).
    States that M49 places in no region are attached to 001 World (AQ).
    Codes CLDR has but ISO 3166-1 does not (XK, EA, IC, ...) are not states.
  - Region names are CLDR's English names, except where CLDR's display name
    differs from the UN M49 English name (M49_NAMES below).

The default mapping of states to regions is written to state-regions.tsv
beside this script when that file does not exist (or with --reset-mapping);
the SQL is then generated from the TSV, so an edited mapping is honoured.
The generated migration is committed: once landed it is never edited, and a
later change of the reference data goes in a new migration.

Usage: migrations/reference/generate.py [--reset-mapping] [--check]
         [--iso FILE] [--cldr DIR] [--out FILE]
Standard library only.
"""

import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
CLDR_DIR = "/usr/share/unicode/cldr/common"
TSV = os.path.join(HERE, "state-regions.tsv")
OUT = os.path.join(HERE, "..", "0002_reference.sql")

# M49 levels that CLDR lists as groupings (see the module comment).
M49_GROUPINGS = {"202", "419"}

# UN M49 English names where CLDR's English display name differs.
M49_NAMES = {
    "001": "World",  # CLDR: "world"
    "035": "South-eastern Asia",  # CLDR: "Southeast Asia"
    "053": "Australia and New Zealand",  # CLDR: "Australasia"
    "057": "Micronesia",  # CLDR: "Micronesian Region"
    "419": "Latin America and the Caribbean",  # CLDR: "Latin America"
}

# States that M49 puts in no region: attached to the root.
NO_REGION = {"AQ": "001"}

ROOT = "001"


def fail(msg):
    sys.exit("generate.py: " + msg)


def is_region(code):
    return len(code) == 3 and code.isdigit()


def is_state(code):
    return len(code) == 2 and code.isalpha() and code.isupper()


def load_states(path):
    """-> {alpha-2: English short name}"""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    states = {}
    for entry in data["3166-1"]:
        code, name = entry["alpha_2"], entry["name"]
        if not is_state(code) or not name or code in states:
            fail(f"{path}: unexpected entry {entry!r}")
        states[code] = name
    return states


def containment_edges(supplemental):
    """-> {child: set(parents)} of the M49 tree, states and regions."""
    root = ET.parse(supplemental).getroot()
    groups = root.find("territoryContainment")
    if groups is None:
        fail(f"{supplemental}: no <territoryContainment>")
    up = {}
    for g in groups.findall("group"):
        parent = g.get("type")
        status = g.get("status")
        children = g.get("contains").split()
        if status == "deprecated" or not is_region(parent):
            continue
        if status == "grouping":
            # Only the edges that place an M49 grouping in its parent.
            children = [c for c in children if c in M49_GROUPINGS]
        elif g.get("grouping") == "true" and parent not in M49_GROUPINGS:
            continue
        for c in children:
            if is_region(c) or is_state(c):
                up.setdefault(c, set()).add(parent)
    return up


def ancestors(code, up):
    seen, stack = set(), list(up.get(code, ()))
    while stack:
        p = stack.pop()
        if p not in seen:
            seen.add(p)
            stack.extend(up.get(p, ()))
    return seen


def smallest_parent(code, up):
    """The parent of code that lies inside all its other parents."""
    parents = up[code]
    best = [p for p in parents if all(q == p or q in ancestors(p, up) for q in parents)]
    if len(best) != 1:
        fail(f"{code}: no single smallest region among {sorted(parents)}")
    return best[0]


def region_names(en_xml, codes):
    root = ET.parse(en_xml).getroot()
    names = {}
    for t in root.iter("territory"):
        if t.get("alt") is None and t.get("type") in codes:
            names[t.get("type")] = t.text
    for code in codes:
        if code in M49_NAMES:
            names[code] = M49_NAMES[code]
        elif code not in names:
            fail(f"{en_xml}: no English name for region {code}")
    return names


def load_m49(cldr_dir):
    """-> regions {code: (name, parent or None)}, default {state: region}"""
    up = containment_edges(os.path.join(cldr_dir, "supplemental", "supplementalData.xml"))
    parent = {c: smallest_parent(c, up) for c in up}
    region_codes = {ROOT} | {c for c in parent if is_region(c)}
    region_codes |= {p for c, p in parent.items()}
    names = region_names(os.path.join(cldr_dir, "main", "en.xml"), region_codes)
    regions = {c: (names[c], parent.get(c)) for c in region_codes}
    if regions[ROOT][1] is not None:
        fail("001 World has a parent")
    for c, (_, p) in regions.items():
        if c != ROOT and ROOT not in ancestors(c, up):
            fail(f"region {c} is not under 001 World")
    default = {c: p for c, p in parent.items() if is_state(c)}
    return regions, default


def default_mapping(states, default):
    mapping = {}
    for code in states:
        region = default.get(code, NO_REGION.get(code))
        if region is None:
            fail(f"state {code} ({states[code]}) has no M49 region; add it to NO_REGION")
        mapping[code] = region
    return mapping


def write_mapping(path, mapping, states, regions):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Default mapping of states (ISO 3166-1 alpha-2) to regions (UN M49 codes):\n")
        f.write("# the smallest M49 region containing each state, as CLDR lists it.\n")
        f.write("# Written by generate.py; editable (one line per state, tab-separated);\n")
        f.write("# the third column is a reminder for people and is not read.\n")
        f.write("state\tregion\tnote\n")
        for code in sorted(mapping):
            region = mapping[code]
            f.write(f"{code}\t{region}\t{states[code]} -> {regions[region][0]}\n")


def read_mapping(path, states, regions):
    mapping = {}
    with open(path, encoding="utf-8") as f:
        lines = [(n, l.rstrip("\n")) for n, l in enumerate(f, 1)]
    rows = [(n, l) for n, l in lines if l and not l.startswith("#")]
    if not rows or rows[0][1].split("\t")[:2] != ["state", "region"]:
        fail(f"{path}: the first row must be the header 'state<TAB>region<TAB>note'")
    for n, line in rows[1:]:
        cols = line.split("\t")
        if len(cols) < 2:
            fail(f"{path}:{n}: expected state<TAB>region")
        code, region = cols[0], cols[1]
        if code not in states:
            fail(f"{path}:{n}: {code!r} is not an ISO 3166-1 alpha-2 code")
        if region not in regions:
            fail(f"{path}:{n}: {region!r} is not a region code")
        if code in mapping:
            fail(f"{path}:{n}: state {code} is listed twice")
        mapping[code] = region
    missing = sorted(set(states) - set(mapping))
    if missing:
        fail(f"{path}: states without a region: {' '.join(missing)}")
    return mapping


def package_version(name):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def depth(code, regions):
    d = 0
    while regions[code][1] is not None:
        code, d = regions[code][1], d + 1
    return d


def render_sql(regions, states, mapping):
    order = sorted(regions, key=lambda c: (depth(c, regions), c))
    region_rows = ",\n".join(
        f"    ({lit(c)}, {lit(regions[c][0])}, {lit(regions[c][1]) if regions[c][1] else 'NULL'})"
        for c in order)
    state_rows = ",\n".join(
        f"    ({lit(c)}, {lit(states[c])}, {lit(mapping[c])})" for c in sorted(states))
    return f"""\
-- 0002_reference: the region tree (UN M49) and the states that can be
-- assessed (ISO 3166-1 alpha-2, territories included, with their English
-- short names), each in the smallest region that contains it.
--
-- GENERATED by migrations/reference/generate.py from iso-codes
-- {package_version("iso-codes")} (iso_3166-1.json, field "name") and unicode-cldr-core
-- {package_version("unicode-cldr-core")} (territoryContainment, en.xml), with the state -> region
-- mapping of migrations/reference/state-regions.tsv. The script documents
-- every choice. Landed migrations are never edited: a change of this data
-- goes in a new migration.

-- A small tree: parents before children. Codes are M49's three digits.
CREATE TABLE region (
    code   text PRIMARY KEY CHECK (code ~ '^[0-9]{{3}}$'),
    name   text NOT NULL UNIQUE CHECK (name <> ''),
    parent text REFERENCES region (code) CHECK (parent IS DISTINCT FROM code)
);
CREATE INDEX region_parent_idx ON region (parent);

-- Names are part of published data: rankings order ties by them (COLLATE "C").
CREATE TABLE state (
    code   text PRIMARY KEY CHECK (code ~ '^[A-Z]{{2}}$'),
    name   text NOT NULL CHECK (name <> ''),
    region text NOT NULL REFERENCES region (code)
);
CREATE INDEX state_region_idx ON state (region);

INSERT INTO region (code, name, parent) VALUES
{region_rows};

INSERT INTO state (code, name, region) VALUES
{state_rows};
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iso", default=ISO_JSON, help="iso_3166-1.json of iso-codes")
    ap.add_argument("--cldr", default=CLDR_DIR, help="CLDR 'common' directory")
    ap.add_argument("--mapping", default=TSV, help="the state -> region TSV")
    ap.add_argument("--out", default=OUT, help="the migration to write")
    ap.add_argument("--reset-mapping", action="store_true",
                    help="rewrite the TSV from CLDR's containment, discarding edits")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if the TSV or the SQL would change")
    args = ap.parse_args()

    states = load_states(args.iso)
    regions, default = load_m49(args.cldr)
    if args.reset_mapping or not os.path.exists(args.mapping):
        mapping = default_mapping(states, default)
        if args.check:
            fail(f"{args.mapping} is missing or would be reset")
        write_mapping(args.mapping, mapping, states, regions)
        print(f"generate.py: wrote {args.mapping}")
    mapping = read_mapping(args.mapping, states, regions)
    sql = render_sql(regions, states, mapping)
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            if f.read() != sql:
                fail(f"{args.out} differs from what the sources generate")
        print(f"generate.py: {args.out} is up to date")
        return
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(sql)
    print(f"generate.py: wrote {args.out}: {len(regions)} regions, {len(states)} states")


if __name__ == "__main__":
    main()
