#!/usr/bin/python3
"""Comparison table of the study (scripts/study.sh): per array size and
method, the mean over seeds of the retrained test accuracy and of the cycles
of the best network on that array, and the APNAS-vs-ENAS figures the issue
asks for.  Hardware-blind runs (ENAS, APNAS-MACs) are costed on each array
with `apnas cost --arch`.  Standard library only; prints markdown."""
import glob
import json
import os
import statistics
import subprocess
import sys

out, apnas = sys.argv[1], sys.argv[2]
ARRAYS = (8, 16, 32)


def load(path):
    with open(path) as f:
        return json.load(f)


def cycles_on(run, n):
    cmd = [apnas, "cost", os.path.join(run, "config.cfg"), "--arch",
           os.path.join(run, "best.arch"), "--format", "json",
           "--set", "cost.plugin=systolic", "--set", "cost.rows=%d" % n,
           "--set", "cost.cols=%d" % n, "--set", "cost.dataflow=os"]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(res.stdout)["total"]["cycles"]


def runs(pattern):
    found = []
    for s in sorted(glob.glob(pattern)):
        if os.path.exists(os.path.join(s, "summary.json")):
            found.append(s)
    return found


def test_acc(run):
    p = os.path.join(run, "retrain", "summary.json")
    if not os.path.exists(p):
        return None
    d = load(p)
    return d.get("test_accuracy", d.get("test", {}).get("accuracy"))


def wall(run):
    return load(os.path.join(run, "summary.json")).get("wall_seconds", 0.0)


rows = {}  # (method, n) -> list of (acc, cycles, wall)
methods = ["enas"]
# A hardware-aware arm's run directories are named after the array and,
# where the arm also varies other keys (apnas_hard's reward.target), after
# those too: each such setting is a method of its own ("apnas_hard T=0.5").
for arm in ("apnas_hard", "apnas", "apnas_adam", "apnas_macs", "random",
            "evolution"):
    if arm == "apnas_macs":
        methods.append(arm)
        continue
    for n in ARRAYS:
        prefix = "cost.rows+cost.cols=%d" % n
        for d in sorted(glob.glob(os.path.join(out, arm, prefix + "*"))):
            rest = os.path.basename(d)[len(prefix):]
            if rest and not rest.startswith(","):
                continue  # "=16" must not match "=160"
            label = arm + "".join(
                " T=" + kv.split("=", 1)[1] if kv.startswith("reward.target=")
                else " " + kv for kv in rest.split(",")[1:])
            if label not in methods:
                methods.append(label)
            for r in runs(os.path.join(d, "seed-*")):
                rows.setdefault((label, n), []).append(
                    (test_acc(r), cycles_on(r, n), wall(r)))
for method in ("enas", "apnas_macs"):
    for r in runs(os.path.join(out, method, "base", "seed-*")):
        for n in ARRAYS:
            rows.setdefault((method, n), []).append(
                (test_acc(r), cycles_on(r, n), wall(r)))


def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else None


def sd(xs):
    xs = [x for x in xs if x is not None]
    return statistics.stdev(xs) if len(xs) > 1 else None


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


print("| array | method | runs | test accuracy (± sd) | cycles | search s |")
print("|---|---|---|---|---|---|")
for n in ARRAYS:
    for method in methods:
        v = rows.get((method, n), [])
        acc = fmt(mean(a for a, _, _ in v), ".4f")
        if sd(a for a, _, _ in v) is not None:
            acc += " ± " + fmt(sd(a for a, _, _ in v), ".4f")
        print("| %dx%d | %s | %d | %s | %s | %s |" % (
            n, n, method, len(v), acc,
            fmt(mean(c for _, c, _ in v), ".0f"),
            fmt(mean(w for _, _, w in v), ".0f")))



def compare(arm):
    """Cycles cut and accuracy loss against ENAS, averaged over the
    arrays, then per array the loss with the standard error of the
    difference of two means (sqrt(sd_a^2/n_a + sd_e^2/n_e))."""
    cut, loss, per = [], [], []
    for n in ARRAYS:
        a, e = rows.get((arm, n), []), rows.get(("enas", n), [])
        if not a or not e:
            continue
        ca, ce = mean(c for _, c, _ in a), mean(c for _, c, _ in e)
        cut.append(1 - ca / ce)
        xa = [x for x, _, _ in a if x is not None]
        xe = [x for x, _, _ in e if x is not None]
        if xa and xe:
            d = 100 * (statistics.mean(xe) - statistics.mean(xa))
            loss.append(d)
            se = None
            if len(xa) > 1 and len(xe) > 1:
                se = 100 * (statistics.variance(xa) / len(xa) +
                            statistics.variance(xe) / len(xe)) ** 0.5
            per.append("%dx%d %.2f%s" % (
                n, n, d, "" if se is None else " ± %.2f" % se))
    if not cut:
        return
    print("%s vs enas, averaged over %d array sizes: %.1f%% fewer cycles"
          % (arm, len(cut), 100 * statistics.mean(cut)), end="")
    if loss:
        print(", %.2f percentage points lower test accuracy (per array, "
              "± standard error: %s)" % (statistics.mean(loss),
                                         "; ".join(per)))
    else:
        print()


print()
for method in methods[1:]:
    compare(method)
