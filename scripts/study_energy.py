#!/usr/bin/python3
"""Table of the energy arm of the study (scripts/study_energy.sh): for each
run of `apnas ablate configs/study-energy.cfg --vary
reward.metric=...`, the retrained best network's ops, test accuracy, energy,
cycles, stall cycles and latency on the study's array (the retraining costs
the trained network, so the figures are those of what was retrained); then
the mean and sample standard deviation over seeds per reward metric, and
how often each op was chosen.  Standard library only; prints markdown.

    python3 scripts/study_energy.py runs/study-energy"""
import glob
import json
import os
import re
import statistics
import sys

OPS = ["conv3x3", "conv5x5", "sep3x3", "sep5x5", "avgpool3x3", "maxpool3x3"]
SHORT = {"conv3x3": "c3", "conv5x5": "c5", "sep3x3": "s3", "sep5x5": "s5",
         "avgpool3x3": "avg", "maxpool3x3": "max"}


def load(path):
    with open(path) as f:
        return json.load(f)


def ops_of(text):
    """The op of each layer, from the architecture's text form."""
    return re.findall(r"^layer \d+: (\S+)", text, re.M)


def mean_sd(xs):
    m = statistics.mean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return m, sd


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/study-energy"
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*", "seed-*",
                                              "retrain", "summary.json"))):
        seed_dir = os.path.dirname(os.path.dirname(path))
        setting = os.path.basename(os.path.dirname(seed_dir))
        metric = setting.split("=", 1)[1] if "=" in setting else setting
        r = load(path)
        s = load(os.path.join(seed_dir, "summary.json"))
        runs.setdefault(metric, []).append({
            "seed": r["seed"], "ops": ops_of(r["architecture"]),
            "test": r["test_accuracy"], "val": s["best"]["accuracy"],
            "energy": r["energy_pj"], "cycles": r["cycles"],
            "stall": r["stall_cycles"], "latency": r["latency_cycles"],
            "dram": r["dram_bytes"], "macs": r["macs"],
            "target": s["reward_target"], "hw": r["hardware"],
            "search_s": s["wall_seconds"], "train_s": r["wall_seconds"]})
    if not runs:
        sys.exit("study_energy.py: no finished retraining under %s" % out)
    hw = next(iter(runs.values()))[0]["hw"]
    print("Hardware: %s.\n" % hw)
    print("| reward on | seed | ops (layers 0-5) | test acc | val acc "
          "(search) | energy uJ | cycles | stall cycles | latency | "
          "DRAM kB | MACs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for metric in sorted(runs):
        for r in sorted(runs[metric], key=lambda r: r["seed"]):
            print("| %s | %d | %s | %.4f | %.4f | %.2f | %d | %d | %d | "
                  "%.1f | %.2fM |" % (
                      metric, r["seed"],
                      " ".join(SHORT.get(o, o) for o in r["ops"]),
                      r["test"], r["val"], r["energy"] / 1e6, r["cycles"],
                      r["stall"], r["latency"], r["dram"] / 1024,
                      r["macs"] / 1e6))
    print()
    print("| reward on | runs | target | test acc (± sd) | energy uJ (± sd) "
          "| cycles (± sd) | stall cycles (± sd) | latency (± sd) | "
          "ops chosen |")
    print("|---|---|---|---|---|---|---|---|---|")
    for metric in sorted(runs):
        rs = runs[metric]
        cells = []
        for key, scale, fmt in (("test", 1, "%.4f ± %.4f"),
                                ("energy", 1e6, "%.2f ± %.2f"),
                                ("cycles", 1, "%.0f ± %.0f"),
                                ("stall", 1, "%.0f ± %.0f"),
                                ("latency", 1, "%.0f ± %.0f")):
            m, sd = mean_sd([r[key] / scale for r in rs])
            cells.append(fmt % (m, sd))
        counts = {}
        for r in rs:
            for o in r["ops"]:
                counts[o] = counts.get(o, 0) + 1
        chosen = ", ".join("%s %d" % (SHORT.get(o, o), counts[o])
                           for o in OPS if o in counts)
        target = rs[0]["target"]
        tgt = ("%.2f uJ" % (target / 1e6) if metric == "energy_pj"
               else "%.0f" % target)
        print("| %s | %d | %s | %s | %s |" % (metric, len(rs), tgt,
                                              " | ".join(cells), chosen))
    every = [r for rs in runs.values() for r in rs]
    sampled(out, {m: rs[0]["target"] for m, rs in runs.items()})
    print("\nWall time per run (one thread each, two runs at a time): "
          "search %.0f s (%.0f to %.0f), retraining %.0f s (%.0f to %.0f)."
          % (statistics.mean(r["search_s"] for r in every),
             min(r["search_s"] for r in every),
             max(r["search_s"] for r in every),
             statistics.mean(r["train_s"] for r in every),
             min(r["train_s"] for r in every),
             max(r["train_s"] for r in every)))


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def sampled(out, targets):
    """Every distinct architecture the searches rewarded: how far energy
    and cycles agree, and which ops each target admits."""
    seen = {}
    for path in glob.glob(os.path.join(out, "*", "seed-*", "samples.jsonl")):
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                seen[tuple(d["arch"])] = (d["energy_pj"], d["cycles"],
                                          ops_of(d["text"]))
    if len(seen) < 3 or len(targets) < 2:
        return
    e = [v[0] for v in seen.values()]
    c = [v[1] for v in seen.values()]
    re_, rc = ranks(e), ranks(c)
    rho = statistics.correlation(re_, rc) if hasattr(
        statistics, "correlation") else float("nan")
    te, tc = targets["energy_pj"], targets["cycles"]
    print("\nThe %d distinct architectures the searches rewarded: Spearman "
          "rank correlation of energy and cycles %.3f." % (len(seen), rho))
    for name, ok in (("energy_pj", lambda v: v[0] <= te),
                     ("cycles", lambda v: v[1] <= tc)):
        inside = [v for v in seen.values() if ok(v)]
        other = [v for v in inside if not (v[1] <= tc if name ==
                                           "energy_pj" else v[0] <= te)]
        counts = {}
        for v in inside:
            for o in v[2]:
                counts[o] = counts.get(o, 0) + 1
        n = sum(counts.values()) or 1
        print("- within the %s target: %d, of which %d over the other "
              "metric's target; their layers: %s" % (
                  name, len(inside), len(other),
                  ", ".join("%s %.0f%%" % (SHORT.get(o, o),
                                           100.0 * counts[o] / n)
                            for o in OPS if o in counts)))


if __name__ == "__main__":
    main()
