"""The export suite's driver: `export_test.py WHAT APNAS EXPORT_LOGITS WORKDIR`.

WHAT is pytorch, onnx, draw or bad_input.  Each trains a tiny network with
every op of enas_macro (skips and two reductions included) on synthetic
data with `apnas train`, then checks what `apnas export` / `apnas draw`
made of it.  Exit 0 passed, 1 failed, 77 skipped (a Debian package this
check needs is missing; CI installs it through scripts/deps.sh).
"""
import os
import shutil
import subprocess
import sys

SKIP = 77
N_IMAGES = 256

CONFIG = """
run = { seed = 5; threads = 1; dir = "%(dir)s"; };
data = { dataset = "synthetic"; synthetic_n = 1024; synthetic_test_n = 256;
         synthetic_c = 3; synthetic_h = 12; synthetic_w = 12;
         val_size = 0; batch_size = 64; eval_batch_size = 128; };
train = { epochs = 2; };
space = { plugin = "enas_macro"; };
cost = { plugin = "systolic"; rows = 8; cols = 8; dataflow = "os"; };
"""

HEADER = """apnas-arch 1
space enas_macro
option layers = 6
option channels = %(channels)d
option reductions = [1, 3]
---
"""

# every op kind, skips into layers with and without a reduction between
ARCH = """layer 0: conv3x3
layer 1: avgpool3x3 skip 0
layer 2: sep3x3 skip -
layer 3: maxpool3x3 skip 0 1
layer 4: conv5x5 skip 0 2 3
layer 5: sep5x5 skip 4
"""
SKIPS = 7

OTHER_ARCH = """layer 0: conv3x3
layer 1: conv3x3 skip -
layer 2: conv3x3 skip -
layer 3: conv3x3 skip -
layer 4: conv3x3 skip -
layer 5: conv3x3 skip -
"""


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def run(args, env=None, expect=0):
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    if expect is not None and p.returncode != expect:
        raise Failed("%s: exit %d (expected %d)\nstdout: %s\nstderr: %s" %
                     (" ".join(args), p.returncode, expect, p.stdout,
                      p.stderr))
    return p


class Setup:
    def __init__(self, apnas, logits_exe, work):
        self.apnas = apnas
        self.logits_exe = logits_exe
        self.work = work
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        self.cfg = os.path.join(work, "tiny.cfg")
        with open(self.cfg, "w") as f:
            f.write(CONFIG % {"dir": work})
        self.arch = self.write_arch("mixed.arch", ARCH, 8)
        self.dir = self.train("trained", self.arch)

    def write_arch(self, name, body, channels):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(HEADER % {"channels": channels} + body)
        return path

    def train(self, name, arch):
        out = os.path.join(self.work, name)
        run([self.apnas, "train", self.cfg, "--arch", arch, "--out", out,
             "--quiet"])
        return out

    def apnas_run(self, *args, expect=0, env=None):
        return run([self.apnas] + list(args), env=env, expect=expect)

    def exotic(self, variant, data=True):
        """An architecture of the test's third-party space and its config."""
        plugdir = os.path.abspath(os.path.dirname(self.logits_exe))
        arch = os.path.join(self.work, "exotic.arch")
        with open(arch, "w") as f:
            f.write("apnas-arch 1\nspace exotic\n---\na\n")
        cfg = os.path.join(self.work, "exotic-%s.cfg" % variant)
        with open(cfg, "w") as f:
            if data:
                f.write(CONFIG.split("train =")[0] % {"dir": self.work})
            f.write('space = { plugin = "exotic"; path = "%s"; '
                    'variant = "%s"; };\n' % (plugdir, variant))
        return arch, cfg

    def reference(self, arch=None, cfg=None):
        """apnas's logits of the first N_IMAGES test images: of the trained
        directory, or of ARCH under CFG with fresh weights."""
        import numpy as np
        path = os.path.join(self.work, "logits.bin")
        args = [self.logits_exe, arch or self.dir, str(N_IMAGES), path]
        p = run(args + ([cfg] if cfg else []))
        print(p.stdout.strip())
        with open(path, "rb") as f:
            data = f.read()
        check(data[:8] == b"APNASLG1", "logits file magic")
        n, c, h, w, k = np.frombuffer(data[8:28], dtype="<i4")
        off = 28
        x = np.frombuffer(data[off:off + 4 * n * c * h * w], dtype="<f4")
        off += 4 * n * c * h * w
        y = np.frombuffer(data[off:off + 4 * n], dtype="<i4")
        off += 4 * n
        lg = np.frombuffer(data[off:off + 4 * n * k], dtype="<f4")
        return (x.reshape(n, c, h, w).copy(), y.copy(),
                lg.reshape(n, k).copy())


def rel_err(a, b):
    import numpy as np
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


# ---- pytorch -------------------------------------------------------------

def load_module(path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("exported", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_pytorch(s):
    try:
        import numpy  # noqa: F401
        import torch
    except ImportError as e:
        print("skipped: needs Debian's python3-torch and python3-numpy "
              "(%s)" % e)
        return SKIP
    torch.set_num_threads(1)
    py = os.path.join(s.work, "net.py")
    p = s.apnas_run("export", s.dir, "--format", "pytorch", "--out", py)
    check(os.path.exists(os.path.join(s.work, "net.weights")),
          "no weights file next to net.py: " + p.stdout)
    x, y, ref = s.reference()
    mod = load_module(py)
    model = mod.load()
    with torch.no_grad():
        out = model(torch.from_numpy(x)).numpy()
    check(out.shape == ref.shape, "logits shape %s, apnas %s" %
          (out.shape, ref.shape))
    err = rel_err(out, ref)
    print("pytorch logits vs apnas: max relative difference %.3g" % err)
    check(err <= 1e-4, "logits differ by %.3g relative (limit 1e-4)" % err)

    # one epoch of training from the exported weights
    torch.manual_seed(0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    lossf = torch.nn.CrossEntropyLoss()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        loss0 = float(lossf(model.eval()(xt), yt))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    perm = torch.randperm(len(yt))
    for i in range(0, len(yt), 32):
        idx = perm[i:i + 32]
        opt.zero_grad()
        loss = lossf(model(xt[idx]), yt[idx])
        check(torch.isfinite(loss), "training loss not finite")
        loss.backward()
        opt.step()
    with torch.no_grad():
        loss1 = float(lossf(model.eval()(xt), yt))
    moved = sum(1 for k, v in model.state_dict().items()
                if v.dtype.is_floating_point and
                not torch.equal(v, before[k]))
    print("one epoch: loss %.4f -> %.4f, %d tensors changed" %
          (loss0, loss1, moved))
    check(moved >= len([k for k in before if k.endswith("weight")]),
          "training left weights unchanged")
    check(loss1 < loss0, "one epoch did not lower the loss")

    # a third-party space with other ops and awkward names exports exactly
    arch, cfg = s.exotic("plain")
    py3 = os.path.join(s.work, "plain.py")
    s.apnas_run("export", arch, "--config", cfg, "--format", "pytorch",
                "--out", py3)
    px, _, pref = s.reference(arch, cfg)
    with torch.no_grad():
        pout = load_module(py3).load()(torch.from_numpy(px)).numpy()
    err = rel_err(pout, pref)
    print("third-party space: pytorch vs apnas %.3g" % err)
    check(err <= 1e-4, "third-party logits differ by %.3g relative" % err)

    # an architecture file: fresh weights, said so, and the module runs
    py2 = os.path.join(s.work, "fresh.py")
    p = s.apnas_run("export", s.arch, "--config", s.cfg, "--format",
                    "pytorch", "--out", py2)
    check("freshly initialised" in p.stdout + p.stderr,
          "an architecture file's export does not say its weights are "
          "fresh")
    fresh = load_module(py2).load()
    with torch.no_grad():
        o2 = fresh(xt)
    check(tuple(o2.shape) == ref.shape, "fresh module's output shape")
    check(not torch.allclose(o2, torch.from_numpy(ref)),
          "fresh weights give the trained logits")
    return 0


# ---- onnx ----------------------------------------------------------------

def conv2d(x, w, b, strides, pads, group):
    import numpy as np
    n, c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
    out = np.zeros((n, oc, oh, ow), dtype=np.float64)
    ocg = oc // group
    for g in range(group):
        xs = xp[:, g * icg:(g + 1) * icg]
        ws = w[g * ocg:(g + 1) * ocg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + strides[0] * oh:strides[0],
                           j:j + strides[1] * ow:strides[1]]
                out[:, g * ocg:(g + 1) * ocg] += np.einsum(
                    "nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool2d(x, k, strides, pads, mode, count_pad):
    import numpy as np
    n, c, h, w = x.shape
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                constant_values=fill)
    ones = np.pad(np.ones((h, w)), ((pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - k[0]) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - k[1]) // strides[1] + 1
    acc = np.full((n, c, oh, ow), fill)
    cnt = np.zeros((oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            win = xp[:, :, i:i + strides[0] * oh:strides[0],
                     j:j + strides[1] * ow:strides[1]]
            acc = np.maximum(acc, win) if mode == "max" else acc + win
            cnt += ones[i:i + strides[0] * oh:strides[0],
                        j:j + strides[1] * ow:strides[1]]
    if mode == "max":
        return acc
    return acc / (k[0] * k[1] if count_pad else cnt)


def evaluate_onnx(model, x):
    """A NumPy evaluator of exactly the ops apnas emits."""
    import numpy as np
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float64)
    for nd in model.graph.node:
        a = {at.name: at for at in nd.attribute}
        ins = [env[i] if i else None for i in nd.input]

        def ints(name, default):
            return list(a[name].ints) if name in a else default

        op = nd.op_type
        if op == "Conv":
            k = ints("kernel_shape", list(ins[1].shape[2:]))
            check(ints("dilations", [1, 1]) == [1, 1], "dilated conv")
            r = conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                       ints("strides", [1, 1]), ints("pads", [0] * 4),
                       a["group"].i if "group" in a else 1)
            check(list(ins[1].shape[2:]) == k, "conv kernel_shape")
        elif op == "BatchNormalization":
            xx, sc, bi, mu, var = ins
            eps = a["epsilon"].f if "epsilon" in a else 1e-5
            sh = (1, -1, 1, 1)
            r = (xx - mu.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * \
                sc.reshape(sh) + bi.reshape(sh)
        elif op == "Relu":
            r = np.maximum(ins[0], 0)
        elif op in ("MaxPool", "AveragePool"):
            r = pool2d(ins[0], ints("kernel_shape", None),
                       ints("strides", [1, 1]), ints("pads", [0] * 4),
                       "max" if op == "MaxPool" else "avg",
                       a["count_include_pad"].i
                       if "count_include_pad" in a else 0)
        elif op == "GlobalAveragePool":
            r = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Sum":
            r = sum(ins)
        elif op == "Concat":
            r = np.concatenate(ins, axis=a["axis"].i)
        elif op == "Pad":
            check(a["mode"].s == b"constant", "pad mode")
            p = ins[1]
            nd_ = ins[0].ndim
            r = np.pad(ins[0], [(p[i], p[i + nd_]) for i in range(nd_)])
        elif op == "Slice":
            r = ins[0]
            sl = [slice(None)] * r.ndim
            for st, en, ax in zip(ins[1], ins[2], ins[3]):
                sl[ax] = slice(st, en)
            r = r[tuple(sl)]
        elif op == "Flatten":
            ax = a["axis"].i if "axis" in a else 1
            r = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            check(a["transB"].i == 1 and "transA" not in a, "gemm layout")
            r = ins[0] @ ins[1].T
            if len(ins) > 2 and ins[2] is not None:
                r = r + ins[2]
        elif op == "Identity":
            r = ins[0]
        else:
            raise Failed("the evaluator does not know op %s" % op)
        env[nd.output[0]] = r
    return env[model.graph.output[0].name]


def check_onnx(s):
    try:
        import numpy  # noqa: F401
        import onnx
    except ImportError as e:
        print("skipped: needs Debian's python3-onnx and python3-numpy "
              "(%s)" % e)
        return SKIP
    path = os.path.join(s.work, "net.onnx")
    p = s.apnas_run("export", s.dir, "--format", "onnx", "--out", path,
                    expect=None)
    if p.returncode and "without protobuf-c" in p.stderr:
        print("skipped: " + p.stderr.strip())
        return SKIP
    check(p.returncode == 0, "export --format onnx: " + p.stderr)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = [o.version for o in model.opset_import if o.domain in ("",
                                                               "ai.onnx")]
    check(opset and opset[0] >= 13, "opset %s, expected >= 13" % opset)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True,
                                                 strict_mode=True)
    out = inferred.graph.output[0].type.tensor_type.shape.dim
    check(len(out) == 2 and out[0].dim_param == "N" and out[1].dim_value == 10,
          "output shape after inference: %s" % out)
    x, _, ref = s.reference()
    got = evaluate_onnx(model, x)
    err = rel_err(got, ref)
    ops = sorted({nd.op_type for nd in model.graph.node})
    print("onnx ops %s; logits vs apnas: max relative difference %.3g" %
          (", ".join(ops), err))
    check(err <= 1e-4, "logits differ by %.3g relative (limit 1e-4)" % err)
    names = {t.name for t in model.graph.initializer}
    check("stem.w" in names and "fc.w" in names,
          "the weights are not initializers under their apnas names")

    # a third-party space with other ops and awkward names exports exactly
    arch, cfg = s.exotic("plain")
    path = os.path.join(s.work, "plain.onnx")
    s.apnas_run("export", arch, "--config", cfg, "--format", "onnx",
                "--out", path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    px, _, pref = s.reference(arch, cfg)
    err = rel_err(evaluate_onnx(model, px), pref)
    print("third-party space: onnx vs apnas %.3g" % err)
    check(err <= 1e-4, "third-party logits differ by %.3g relative" % err)
    return 0


# ---- draw ------------------------------------------------------------------

def check_draw(s):
    if not shutil.which("dot"):
        print("skipped: needs Graphviz's dot (Debian package graphviz)")
        return SKIP
    import json
    dotf = os.path.join(s.work, "net.dot")
    s.apnas_run("draw", s.dir, "--out", dotf)
    run(["dot", "-Tcanon", "-o", os.devnull, dotf])
    text = open(dotf).read()
    layers = json.load(open(os.path.join(s.dir, "summary.json")))["layers"]
    boxes = sum(1 for ln in text.splitlines()
                if ln.strip().startswith("n") and "[label=" in ln)
    check(boxes == layers, "%d boxes for %d layers" % (boxes, layers))
    dashed = text.count("style=dashed")
    check(dashed >= SKIPS, "%d dashed edges for %d skips" % (dashed, SKIPS))
    check("cycles" in text, "no cycles in a drawing with a cost model")
    svg = os.path.join(s.work, "net.svg")
    p = s.apnas_run("draw", s.dir, "--out", svg)
    head = open(svg).read(4096)
    check("<svg" in head, "no SVG written: " + p.stdout)
    png = os.path.join(s.work, "net.png")
    s.apnas_run("draw", s.dir, "--out", png)
    check(open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "not a PNG")
    # without a cost model: no cycles
    plain = os.path.join(s.work, "plain.dot")
    s.apnas_run("draw", s.arch, "--out", plain)
    check("cycles" not in open(plain).read(),
          "cycles drawn without a cost model")
    # Graphviz missing: the message names the Debian package
    env = dict(os.environ, PATH="/nonexistent")
    p = s.apnas_run("draw", s.dir, "--out", os.path.join(s.work, "x.svg"),
                    env=env, expect=None)
    check(p.returncode != 0 and "graphviz" in p.stderr and
          len(p.stderr.strip().splitlines()) == 1,
          "missing dot: exit %d, stderr %r" % (p.returncode, p.stderr))
    check(not os.path.exists(os.path.join(s.work, "x.svg")),
          "a drawing was left behind without dot")
    return 0


# ---- bad input ---------------------------------------------------------------

def refused(s, why, *args):
    p = s.apnas_run(*args, expect=None)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1,
          "%s: exit %d, stderr %r (expected exit 2 and one line)" %
          (why, p.returncode, p.stderr))
    print("%-28s %s" % (why + ":", lines[0]))
    return lines[0]


def copy_dir(s, name):
    d = os.path.join(s.work, name)
    shutil.copytree(s.dir, d)
    return d


def check_bad_input(s):
    out = os.path.join(s.work, "x.onnx")
    d = copy_dir(s, "no-weights")
    os.remove(os.path.join(d, "weights.bin"))
    msg = refused(s, "no weights", "export", d, "--format", "pytorch")
    check("weights.bin" in msg, "the message does not name weights.bin")

    d = copy_dir(s, "other-arch")
    shutil.copy(s.write_arch("other.arch", OTHER_ARCH, 8),
                os.path.join(d, "arch.arch"))
    msg = refused(s, "another architecture", "export", d, "--format", "onnx",
                  "--out", out)
    check("summary.json" in msg, "the message does not say what differs")

    narrow = s.train("narrow", s.write_arch("narrow.arch", ARCH, 6))
    d = copy_dir(s, "other-shapes")
    shutil.copy(os.path.join(narrow, "weights.bin"), os.path.join(d,
                                                                 "weights.bin"))
    refused(s, "weights of other shapes", "export", d, "--format", "onnx",
            "--out", out)

    d = copy_dir(s, "truncated")
    wb = os.path.join(d, "weights.bin")
    size = os.path.getsize(wb)
    with open(wb, "r+b") as f:
        f.truncate(size // 2)
    refused(s, "truncated weights", "export", d, "--format", "pytorch",
            "--out", os.path.join(s.work, "t.py"))

    msg = refused(s, "unknown format", "export", s.dir, "--format", "tflite")
    check("tflite" in msg, "the message does not name the format")
    refused(s, "no format", "export", s.dir)
    blocked = os.path.join(s.dir, "summary.json", "x.onnx")
    refused(s, "unwritable output", "export", s.dir, "--format", "onnx",
            "--out", blocked)
    refused(s, "unwritable weights", "export", s.dir, "--format", "pytorch",
            "--out", os.path.join(s.dir, "summary.json", "m.py"))
    refused(s, "draw: unwritable", "draw", s.dir, "--out",
            os.path.join(s.dir, "summary.json", "x.dot"))
    refused(s, "draw: unknown picture type", "draw", s.dir, "--out",
            os.path.join(s.work, "x.gif"))
    refused(s, "missing input", "export", os.path.join(s.work, "nothing"),
            "--format", "onnx")
    for f in os.listdir(s.dir):
        check(".tmp." not in f, "a temporary was left behind: " + f)

    # a third-party space with an op no writer knows: refused by name
    for variant, words in (("grouped", ("'odd'", "conv", "groups")),
                           ("unknown", ("'odd'", "type 99"))):
        arch, cfg = s.exotic(variant, data=False)
        for cmd in (["export", arch, "--config", cfg, "--format", "onnx",
                     "--out", out],
                    ["draw", arch, "--config", cfg, "--out",
                     os.path.join(s.work, "exotic.dot")]):
            msg = refused(s, "%s: %s op" % (cmd[0], variant), *cmd)
            check(all(w in msg for w in words),
                  "the refusal does not name the layer and op: " + msg)
    # a space that does not describe its data flow (the skeleton)
    cfg = os.path.join(s.work, "skeleton.cfg")
    with open(cfg, "w") as f:
        f.write('space = { plugin = "skeleton"; };\n')
    msg = refused(s, "undescribed data flow", "draw", "all-conv3x3",
                  "--config", cfg, "--out", os.path.join(s.work, "sk.dot"))
    check("data flow" in msg, "the refusal does not say why: " + msg)
    return 0


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    what, apnas, logits_exe, work = sys.argv[1:]
    checks = {"pytorch": check_pytorch, "onnx": check_onnx,
              "draw": check_draw, "bad_input": check_bad_input}
    try:
        s = Setup(apnas, logits_exe, work)
        rc = checks[what](s)
    except Failed as e:
        print("FAILED: %s" % e)
        return 1
    print("ok" if rc == 0 else "skipped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
