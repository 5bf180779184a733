#!/usr/bin/python3
"""Compares a rerun of one study cell with the recorded one, bit for bit
(scripts/study_cell.sh): usage study_compare.py search|retrain RECORDED RERUN.

search: summary.json (every value but the timings and the provenance),
pareto.csv, candidates.csv (byte for byte) and epochs.csv (every column but
the timings).  retrain: retrain/summary.json (every value but the timings,
the provenance and the architecture file's path).  A JSON number read back
from 17 significant digits is the double that was written, so == on the
parsed values is equality bit for bit.

Prints the first difference and exits 1, or exits 0 silently.  Standard
library only."""
import csv
import json
import os
import sys

# Values that differ between two runs of the same computation: time taken,
# where it ran, where its input was.
IGNORED = {"wall_seconds", "derive_seconds", "seconds", "provenance",
           "arch_file"}
TIMING_COLUMNS = {"images_per_s", "seconds", "sec_train", "sec_eval",
                  "sec_controller", "sec_cost"}


def first_json_difference(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k in IGNORED:
                continue
            if k not in a or k not in b:
                return "%s%s: %s" % (path, k, "absent in the rerun"
                                     if k not in b else "absent in the "
                                     "recorded run")
            d = first_json_difference(a[k], b[k], path + k + ".")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_json_difference(x, y, "%s[%d]." % (path.rstrip("."),
                                                         i))
            if d:
                return d
        if len(a) != len(b):
            return "%s: %d entries recorded, %d in the rerun" % (
                path.rstrip("."), len(a), len(b))
        return None
    if type(a) is not type(b) or a != b:
        return "%s: recorded %s, rerun %s" % (path.rstrip("."),
                                              json.dumps(a), json.dumps(b))
    return None


def load_json(path):
    with open(path) as f:
        return json.load(f)


def compare_json(rec, new, name):
    d = first_json_difference(load_json(os.path.join(rec, name)),
                              load_json(os.path.join(new, name)), "")
    return None if d is None else "%s: %s" % (name, d)


def compare_bytes(rec, new, name):
    with open(os.path.join(rec, name), "rb") as f:
        a = f.read().split(b"\n")
    with open(os.path.join(new, name), "rb") as f:
        b = f.read().split(b"\n")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "%s line %d: recorded %r, rerun %r" % (
                name, i + 1, x.decode(errors="replace")[:200],
                y.decode(errors="replace")[:200])
    if len(a) != len(b):
        return "%s: %d lines recorded, %d in the rerun" % (name, len(a),
                                                            len(b))
    return None


def compare_csv_columns(rec, new, name):
    rows = []
    for d in (rec, new):
        with open(os.path.join(d, name), newline="") as f:
            rows.append(list(csv.DictReader(f)))
    a, b = rows
    for i, (x, y) in enumerate(zip(a, b)):
        for k in x:
            if k in TIMING_COLUMNS:
                continue
            if x.get(k) != y.get(k):
                return "%s line %d column %s: recorded %r, rerun %r" % (
                    name, i + 2, k, x.get(k), y.get(k))
    if len(a) != len(b):
        return "%s: %d rows recorded, %d in the rerun" % (name, len(a),
                                                          len(b))
    return None


def main():
    what, rec, new = sys.argv[1:4]
    if what == "search":
        checks = [(compare_json, "summary.json"),
                  (compare_bytes, "pareto.csv"),
                  (compare_bytes, "candidates.csv"),
                  (compare_csv_columns, "epochs.csv")]
    else:
        checks = [(compare_json, "summary.json")]
    for fn, name in checks:
        if not os.path.exists(os.path.join(rec, name)):
            continue  # an older run without it: nothing to hold it to
        d = fn(rec, new, name)
        if d:
            print(d)
            return 1
    return 0


sys.exit(main())
