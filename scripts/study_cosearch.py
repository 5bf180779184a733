#!/usr/bin/python3
"""Table of the co-search study (scripts/study_cosearch.sh).

For every finished run (a retrained best network) of each arm: the test
accuracy after retraining and the network's energy, latency and
energy-delay product on the hardware it was found for (the retraining
costs the trained network on that hardware: the fixed array of a fixed
arm, the hardware section of a co-searched one).  The ENAS arm is
hardware-blind: each of its networks is costed on every hardware of the
budget (5 shapes x 3 dataflows x 21 SRAM splits, one `apnas cost
--sweep`) and the lowest EDP is kept ("sizing only").  Then mean and sample standard
deviation over seeds per arm and per fixed array, the best fixed array
(lowest mean EDP) picked afterwards, and co-search's EDP ratio and
accuracy difference against it.  Standard library only; prints markdown.

    python3 scripts/study_cosearch.py OUT [APNAS]

The config and the reward's metric are the ones scripts/study_cosearch.sh
ran OUT with (OUT/cfg and OUT/metric, which it writes); without those
files configs/study/cosearch.cfg and edp.  The best fixed array and the
sizing are then taken on that metric."""
import glob
import json
import os
import statistics
import subprocess
import sys

CFG = "configs/study/cosearch.cfg"
METRIC = "edp"


def load(path):
    with open(path) as f:
        return json.load(f)


def mean_sd(xs):
    if not xs:
        return float("nan"), float("nan")
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def runs_of(out):
    """(arm, setting, seed dir) of every run whose retraining finished."""
    found = []
    for path in sorted(glob.glob(os.path.join(out, "**", "retrain",
                                              "summary.json"),
                                 recursive=True)):
        seed_dir = os.path.dirname(os.path.dirname(path))
        rel = os.path.relpath(seed_dir, out).split(os.sep)
        arm = rel[0]
        # apnas ablate names a grid without --vary "base"
        setting = "/".join(x for x in rel[1:-1] if x != "base")
        found.append((arm, setting, seed_dir))
    return found


def sized(apnas, arch):
    """The hardware of the config's budget with the lowest EDP for arch:
    every setting costed by one `apnas cost --sweep`, best first (ties
    keep the first setting in the order shape, dataflow, split)."""
    cmd = [apnas, "cost", CFG, "--arch", arch, "--sweep", "--sort", METRIC,
           "--top", "1", "--format", "json"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    best = json.loads(r.stdout)["rows"][0]
    return best["total"], best["hardware"]


def row(arm, setting, seed_dir, apnas):
    r = load(os.path.join(seed_dir, "retrain", "summary.json"))
    m = {"seed": r["seed"], "test": r["test_accuracy"]}
    if arm == "enas":
        t, hw = sized(apnas, os.path.join(seed_dir, "retrain", "arch.arch"))
    else:
        t, hw = r, r["hardware"].split(";")[0]
    for k in ("edp", "energy_pj", "latency_cycles", "cycles", METRIC):
        m[k] = t[k]
    m["hw"] = hw
    return m


def fmt(ms, key, scale, digits):
    m, sd = mean_sd([x[key] / scale for x in ms])
    return "%.*f ± %.*f" % (digits, m, digits, sd)


def main():
    global CFG, METRIC
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/study-cosearch"
    apnas = sys.argv[2] if len(sys.argv) > 2 else "./build/core/cli/apnas"
    for name in ("cfg", "metric"):
        path = os.path.join(out, name)
        if os.path.exists(path):
            with open(path) as f:
                v = f.read().strip()
            if name == "cfg":
                CFG = v
            else:
                METRIC = v
    groups = {}
    for arm, setting, seed_dir in runs_of(out):
        key = arm if not setting else "%s %s" % (arm, setting.replace(
            "cost.dataflow=", ""))
        groups.setdefault(key, []).append(row(arm, setting, seed_dir, apnas))
    if not groups:
        sys.exit("study_cosearch.py: no finished retraining under %s" % out)
    tpath = os.path.join(out, "target")
    if os.path.exists(tpath):
        print("Target T = %.4g (%s; 0.7 x all-conv3x3 on %s's own "
              "array).\n" % (float(open(tpath).read()), METRIC, CFG))
    print("| arm | runs | test acc (± sd) | EDP 1e9 pJ*cyc (± sd) | "
          "energy uJ (± sd) | latency cycles (± sd) | hardware per seed |")
    print("|---|---|---|---|---|---|---|")
    order = sorted(groups, key=lambda k: (not k.startswith("cosearch"),
                                          not k.startswith("random"),
                                          not k.startswith("enas"), k))
    for k in order:
        ms = sorted(groups[k], key=lambda x: x["seed"])
        name = "enas + sizing" if k == "enas" else k
        print("| %s | %d | %s | %s | %s | %s | %s |" % (
            name, len(ms), fmt(ms, "test", 1, 4), fmt(ms, "edp", 1e9, 2),
            fmt(ms, "energy_pj", 1e6, 2), fmt(ms, "latency_cycles", 1, 0),
            "; ".join("%d: %s" % (x["seed"], x["hw"]) for x in ms)))
    fixed = {k: v for k, v in groups.items() if k.startswith("fixed_")}
    co = groups.get("cosearch")
    if fixed and co:
        best = min(fixed, key=lambda k: mean_sd([x[METRIC] for x in
                                                  fixed[k]])[0])
        fe = mean_sd([x[METRIC] for x in fixed[best]])[0]
        ce = mean_sd([x[METRIC] for x in co])[0]
        fa = mean_sd([x["test"] for x in fixed[best]])[0]
        ca = mean_sd([x["test"] for x in co])[0]
        print("\nBest fixed array (lowest mean %s, picked afterwards): %s."
              " Its mean %s over co-search's: %.2f (above 1: co-search "
              "lower); co-search's test accuracy %+.2f points against it."
              % (METRIC, best, METRIC, fe / ce, 100 * (ca - fa)))
        if "enas" in groups:
            se = mean_sd([x[METRIC] for x in groups["enas"]])[0]
            sa = mean_sd([x["test"] for x in groups["enas"]])[0]
            print("Sizing only (ENAS, then the best hardware of the budget "
                  "for its network): its mean %s over co-search's %.2f; "
                  "co-search's test accuracy %+.2f points against it." % (
                      METRIC, se / ce, 100 * (ca - sa)))

if __name__ == "__main__":
    main()
