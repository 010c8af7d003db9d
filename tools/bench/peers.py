#!/usr/bin/env python3
"""Tweedie against PyTorch eager, torch.compile, ONNX Runtime and OpenVINO, side by side.

Each peer runs the same network (rebuilt from models/*.mlir by score_mlir.py) with the
same .safetensors weights. Before timing anything it checks that every peer computes
the function Tweedie computes: one network evaluation (a 1-step DDIM from t = T-1,
which returns (x - sqrt(1 - abar) eps) / sqrt(abar)) and a short deterministic DDIM
run, both from the same initial noise. Then it runs the workloads in interleaved
rounds (each engine in a fresh process, so peak RSS is its own) and prints one
markdown table: median and minimum wall time, samples/s, the ratio to Tweedie, the
fraction of the roofline (a large f32 matmul measured in the same run) that the
network's dense/conv/attention FLOPs reach, and peak RSS.

  W1  mlp2d, batch 8192, DDPM ancestral, 1000 steps
  W2  unet28, batch 64, DDIM, 50 steps
  W2b unet28, batch 64, DPM-Solver++(2M), 20 steps
  W3  unet28, one DSM training step (DDPM L_simple), batch 64, Adam
  W4  mlp2d, batch 1, DDPM, 1000 steps: per-step latency

Run through tools/bench/run-peers.sh, which makes the virtualenv. Not part of ctest.

--device cuda runs the same workloads on the first GPU: Tweedie's CUDA backend (modules
compiled with --target cuda, or taken precompiled from --modules), PyTorch eager and
torch.compile(mode="max-autotune") on CUDA, TF32 off everywhere (scripts/device/).
"""
import argparse
import datetime
import json
import math
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import score_mlir  # noqa: E402

ENGINES = ["tweedie", "torch", "torch.compile", "onnxruntime", "openvino"]
GPU_ENGINES = ["tweedie", "torch", "torch.compile"]
DEVICE = "cpu"  # set from --device


def torch_device():
    """The torch device of this run, TF32 off (the CUDA issue compares float32 math)."""
    import torch
    if DEVICE == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(DEVICE)


def synchronize():
    if DEVICE == "cuda":
        import torch
        torch.cuda.synchronize()
T = 1000


class Workload:
    def __init__(self, key, model, batch, method, steps, summary, train=False):
        self.key, self.model, self.batch, self.method = key, model, batch, method
        self.steps, self.summary, self.train = steps, summary, train


WORKLOADS = {
    "W1": Workload("W1", "mlp2d", 8192, "ddpm", 1000, "mlp2d, batch 8192, DDPM 1000 steps"),
    "W2": Workload("W2", "unet28", 64, "ddim", 50, "unet28, batch 64, DDIM 50 steps"),
    "W2b": Workload("W2b", "unet28", 64, "dpmpp2m", 20, "unet28, batch 64, DPM-Solver++(2M) 20 steps"),
    "W3": Workload("W3", "unet28", 64, "train", 1, "unet28, one DSM training step, batch 64", True),
    "W4": Workload("W4", "mlp2d", 1, "ddpm", 1000, "mlp2d, batch 1, DDPM 1000 steps (per step)"),
}


# --------------------------------------------------------------------------- schedule
def alpha_bars():
    import numpy as np
    betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
    return betas, np.cumprod(1.0 - betas)


def linspace_timesteps(steps):
    """Tweedie's default spacing: round(linspace(0, T-1, steps)), noisiest first."""
    import numpy as np
    return [int(v) for v in np.round(np.linspace(0, T - 1, steps))[::-1]]


# ---------------------------------------------------------------- sampler loops (any array)
def ddpm(eps, x, steps, randn):
    betas, abar = alpha_bars()
    for t in range(T - 1, T - 1 - steps, -1):
        e = eps(x, t)
        a, ab = 1.0 - betas[t], abar[t]
        x = (x - float(betas[t] / math.sqrt(1.0 - ab)) * e) * float(1.0 / math.sqrt(a))
        if t > 0:
            var = betas[t] * (1.0 - abar[t - 1]) / (1.0 - ab)
            x = x + float(math.sqrt(var)) * randn()
    return x


def ddim(eps, x, steps):
    _, abar = alpha_bars()
    ts = linspace_timesteps(steps)
    for i, t in enumerate(ts):
        e = eps(x, t)
        ab = abar[t]
        prev = abar[ts[i + 1]] if i + 1 < len(ts) else 1.0
        x0 = (x - float(math.sqrt(1.0 - ab)) * e) * float(1.0 / math.sqrt(ab))
        x = float(math.sqrt(prev)) * x0 + float(math.sqrt(1.0 - prev)) * e
    return x


def dpmpp2m(eps, x, steps):
    """DPM-Solver++(2M) on the DDPM schedule (Lu et al. 2022, data prediction)."""
    _, abar = alpha_bars()
    ts = linspace_timesteps(steps)
    lam = lambda t: 0.5 * math.log(abar[t] / (1.0 - abar[t]))
    previous, h_prev = None, None
    for i, t in enumerate(ts):
        e = eps(x, t)
        alpha, sigma = math.sqrt(abar[t]), math.sqrt(1.0 - abar[t])
        x0 = (x - sigma * e) * float(1.0 / alpha)
        if i + 1 == len(ts):
            x = x0
            break
        s = ts[i + 1]
        alpha_s, sigma_s = math.sqrt(abar[s]), math.sqrt(1.0 - abar[s])
        h = lam(s) - lam(t)
        d = x0 if previous is None else x0 * float(1 + h / (2 * h_prev)) - previous * float(
            h / (2 * h_prev))
        x = float(sigma_s / sigma) * x - float(alpha_s * math.expm1(-h)) * d
        previous, h_prev = x0, h
    return x


def run_sampler(method, eps, x, steps, randn):
    if method == "ddpm":
        return ddpm(eps, x, steps, randn)
    if method == "ddim":
        return ddim(eps, x, steps)
    return dpmpp2m(eps, x, steps)


# ------------------------------------------------------------------------------ engines
def sample_shape(network):
    first = next(op for op in network.ops if network.inputs[0] in op[2])
    types = score_mlir._TYPE.findall(first[3].split(" : ", 1)[1])
    return score_mlir._shape(types[0])[1:]


def load_weights(model):
    from safetensors.numpy import load_file
    return load_file(str(ROOT / "models" / f"{model}.safetensors"))


def peer_eps(engine, model, batch, threads, workdir):
    """(eps(x, t) on numpy or torch arrays, array constructor, randn) for a peer."""
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    network = score_mlir.Network(ROOT / "models" / f"{model}.mlir")
    device = torch_device()
    module = score_mlir.torch_module(network, load_weights(model)).eval().to(device)
    shape = [batch] + sample_shape(network)
    if engine in ("torch", "torch.compile"):
        compile_mode = "max-autotune" if DEVICE == "cuda" else None
        fn = torch.compile(module, mode=compile_mode) if engine == "torch.compile" else module
        times = {}

        def eps(x, t):
            if t not in times:
                times[t] = torch.full((batch,), float(t), device=device)
            with torch.inference_mode():
                return fn(x, times[t])
        generator = torch.Generator(device=device).manual_seed(0)
        return (eps, lambda a: torch.from_numpy(a).to(device),
                lambda: torch.randn(shape, generator=generator, device=device))
    onnx_path = pathlib.Path(workdir) / f"{model}-{batch}.onnx"
    if not onnx_path.exists():
        with torch.no_grad():
            torch.onnx.export(module, (torch.zeros(shape), torch.zeros(batch)), str(onnx_path),
                              input_names=["x", "t"], output_names=["eps"], opset_version=17,
                              dynamo=False)
    rng = np.random.default_rng(0)
    randn = lambda: rng.standard_normal(shape, dtype=np.float32)
    if engine == "onnxruntime":
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        return (lambda x, t: session.run(None, {"x": x, "t": np.full(batch, t, np.float32)})[0],
                np.asarray, randn)
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(str(onnx_path), "CPU", {
        "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
        "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()

    def eps(x, t):
        request.infer({"x": x, "t": np.full(batch, t, np.float32)})
        return request.get_output_tensor(0).data.copy()
    return eps, np.asarray, randn


def peer_train_step(engine, batch, threads):
    """One DDPM L_simple step of unet28 with Adam: a function returning seconds."""
    import torch
    torch.set_num_threads(threads)
    network = score_mlir.Network(ROOT / "models" / "unet28.mlir")
    device = torch_device()
    module = score_mlir.torch_module(network, load_weights("unet28")).train().to(device)
    if engine == "torch.compile":
        module = torch.compile(module, mode="max-autotune" if DEVICE == "cuda" else None)
    optimizer = torch.optim.Adam(module.parameters(), lr=5e-4)
    _, abar = alpha_bars()
    abar = torch.tensor(abar, dtype=torch.float32, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    data = torch.rand([batch, 1, 28, 28], generator=generator, device=device) * 2 - 1

    def step():
        synchronize()
        start = time.perf_counter()
        t = torch.randint(0, T, (batch,), generator=generator, device=device)
        noise = torch.randn(data.shape, generator=generator, device=device)
        ab = abar[t].reshape(-1, 1, 1, 1)
        xt = ab.sqrt() * data + (1 - ab).sqrt() * noise
        loss = torch.mean((module(xt, t.float()) - noise) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        synchronize()
        return time.perf_counter() - start
    return step


def worker(args):
    """One engine, one workload, in this process: prints {seconds, result}."""
    import numpy as np
    w = WORKLOADS[args.workload]
    steps = max(1, round(w.steps * args.step_scale)) if not w.train else 1
    if w.train:
        step = peer_train_step(args.engine, w.batch, args.threads)
        step()  # warm-up (and compilation)
        seconds = statistics.median(step() for _ in range(5))
        print(json.dumps({"seconds": seconds, "steps": 1}))
        return
    eps, array, randn = peer_eps(args.engine, w.model, w.batch, args.threads, args.workdir)
    x = array(np.load(args.noise))
    run_sampler(w.method, eps, x, min(steps, 2), randn)  # warm-up (and compilation)
    synchronize()
    start = time.perf_counter()
    out = run_sampler(w.method if not args.check else "ddim", eps, x,
                      args.check or steps, randn)
    synchronize()
    seconds = time.perf_counter() - start
    if args.out:
        out = out.cpu() if hasattr(out, "cpu") else out
        np.save(args.out, np.asarray(out, dtype=np.float32))
    print(json.dumps({"seconds": seconds, "steps": steps}))


# ------------------------------------------------------------------------- orchestration
def _high_water(pid):
    """VmHWM of a live process in bytes (0 when gone). ru_maxrss will not do: a child
    forked from this process (PyPI's torch loaded) carries its peak across exec."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_rss(command, env=None):
    """Runs `command`: (stdout, stderr, wall seconds, its peak RSS in bytes sampled every
    20 ms); raises with the end of stderr when it fails."""
    import threading
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, text=True)
        peak = [0]
        finished = threading.Event()

        def watch():
            while not finished.wait(0.02):
                peak[0] = max(peak[0], _high_water(process.pid))
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        process.wait()
        finished.set()
        watcher.join()
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{stderr[-3000:]}")
        return out.read(), stderr, wall, peak[0]


def module_name(model, method, steps):
    """The file a (model, method, steps) module is written to (and found in --modules)."""
    return f"{model}-{method}-{steps}.tweedie"


def sampler_spec(method, steps):
    return {"ddpm": f"ddpm(steps={steps})", "ddim": f"ddim(steps={steps})",
            "dpmpp2m": f"dpm_solver_pp_2m(steps={steps})"}[method]


class Tweedie:
    def __init__(self, build, workdir, threads, modules=None):
        self.bin = pathlib.Path(build) / "bin"
        self.bench = self.bin / "tweedie-bench"
        self.workdir = pathlib.Path(workdir)
        self.threads = threads
        self.precompiled = pathlib.Path(modules) if modules else None
        self.modules = {}

    def module(self, model, method, steps):
        key = (model, method, steps)
        if key not in self.modules:
            name = module_name(model, method, steps)
            if self.precompiled:  # a machine without tweedie-compile (scripts/device/)
                self.modules[key] = self.precompiled / name
                return self.modules[key]
            path = self.workdir / name
            command = [self.bin / "tweedie-compile", ROOT / "models" / f"{model}.mlir",
                       "--sampler", sampler_spec(method, steps), "--weights",
                       ROOT / "models" / f"{model}.safetensors", "-o", path]
            if DEVICE == "cuda":
                command += ["--target", "cuda"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            self.modules[key] = path
        return self.modules[key]

    def sample(self, model, method, steps, count, noise=None, out=None):
        # One warm-up request, then one timed: each round measures every engine once.
        command = [self.bench, "sample", self.module(model, method, steps),
                   "--num-samples", str(count), "--threads", str(self.threads), "--rounds", "1",
                   "--json", "--device", DEVICE]
        if noise:
            command += ["--noise", noise]
        if out:
            command += ["--out", out]
        text, _, _, rss = child_rss(command)
        report = json.loads(text)
        # Its own VmHWM: a short run can end before the 20 ms sampler looks.
        return report["seconds"], max(rss, report.get("peak_rss_bytes", 0)), report

    def train_step(self, batch):
        """Seconds per DSM step in the steady state, as tweedie-train reports it (the
        loop's time from the second of 6 steps on: the first builds the primitives)."""
        import re
        _, text, _, peak = child_rss(
            [self.bin / "tweedie-train", ROOT / "models" / "unet28.mlir", "--data",
             "fashion-mnist", "--steps", "6", "--batch", str(batch), "--lr", "5e-4", "--init",
             ROOT / "models" / "unet28.safetensors", "-q", "-o", self.workdir / "w3.safetensors",
             "--device", DEVICE],
            env=dict(os.environ, OMP_NUM_THREADS=str(self.threads)))
        match = re.search(r"([\d.]+) s per step after the first", text)
        if not match:
            raise RuntimeError(f"tweedie-train printed no steady rate:\n{text[-3000:]}")
        return float(match.group(1)), peak


def roofline(threads):
    """GFLOP/s of a large f32 matmul (PyTorch's oneDNN/MKL on the CPU: 2048^3; cuBLAS
    without TF32 on the GPU: 8192^3), the best of 5."""
    import torch
    torch.set_num_threads(threads)
    device = torch_device()
    n = 8192 if DEVICE == "cuda" else 2048
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.matmul(a, b)
    synchronize()

    def product():
        torch.matmul(a, b)
        synchronize()
    best = min(_timed(product) for _ in range(5))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def check_equivalence(tweedie, engines, args, workdir):
    """Max relative difference to Tweedie of one evaluation and a 5-step DDIM run."""
    import numpy as np
    rows = []
    for model in ("mlp2d", "unet28"):
        network = score_mlir.Network(ROOT / "models" / f"{model}.mlir")
        batch = 16
        noise = np.random.default_rng(7).standard_normal(
            [batch] + sample_shape(network)).astype(np.float32)
        noise_path = workdir / f"{model}-noise.npy"
        np.save(noise_path, noise)
        for steps in (1, 5):
            ref_path = workdir / f"{model}-ddim{steps}-tweedie.npy"
            tweedie.sample(model, "ddim", steps, batch, noise_path, ref_path)
            ref = np.load(ref_path).astype(np.float64)
            for engine in engines:
                out_path = workdir / f"{model}-ddim{steps}-{engine}.npy"
                child_rss([sys.executable, __file__, "--worker", engine, "W2",
                           "--device", DEVICE,
                           "--threads", str(args.threads), "--noise", noise_path,
                           "--out", out_path, "--check", str(steps), "--workdir", workdir,
                           "--batch-override", str(batch), "--model-override", model])
                got = np.load(out_path).astype(np.float64)
                diff = np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-30)
                rows.append((model, steps, engine, diff))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build"), help="Tweedie's build directory")
    parser.add_argument("--threads", type=int, default=2, help="threads of every engine")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--workloads", default="W1,W2,W2b,W3,W4",
                        help="comma-separated, from the list above (default: all)")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated: " + ", ".join(ENGINES))
    parser.add_argument("--step-scale", type=float, default=1.0,
                        help="run this fraction of each sampler's steps (per-step times "
                        "are what the table compares; 1 runs the workloads as defined)")
    parser.add_argument("--write", default=str(ROOT / "docs" / "BENCHMARKS.md"),
                        help="markdown file the run is appended to ('': print only)")
    parser.add_argument("--label", default="", help="a heading for this run")
    parser.add_argument("--tweedie-before", metavar="BUILD",
                        help="another build directory, run as engine 'tweedie-before' "
                        "(before/after in one interleaved run; its own tweedie-compile, "
                        "tweedie-bench and tweedie-train)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                        help="where every engine runs (cuda: the first GPU; engines tweedie, "
                        "torch, torch.compile)")
    parser.add_argument("--modules", help="precompiled Tweedie modules, named as module_name "
                        "writes them (for a machine without tweedie-compile)")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "WORKLOAD"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--noise", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--check", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--batch-override", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model-override", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device

    if args.worker:
        args.engine, args.workload = args.worker
        if args.batch_override:
            w = WORKLOADS[args.workload]
            WORKLOADS[args.workload] = Workload(w.key, args.model_override or w.model,
                                                args.batch_override, w.method, w.steps,
                                                w.summary)
        return worker(args)

    import numpy as np
    engines = [e for e in args.engines.split(",") if e != "tweedie"]
    if DEVICE == "cuda":
        engines = [e for e in engines if e in GPU_ENGINES]
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="tweedie-peers-"))
    tweedie = Tweedie(args.build, workdir, args.threads, args.modules)
    if args.tweedie_before:
        (workdir / "before").mkdir()
        before = Tweedie(args.tweedie_before, workdir / "before", args.threads)
        engines.insert(0, "tweedie-before")
    log = lambda *m: print(*m, file=sys.stderr, flush=True)

    log("checking that every peer computes Tweedie's function ...")
    equivalence = check_equivalence(tweedie, [e for e in engines if e != "tweedie-before"], args,
                                    workdir)
    for model, steps, engine, diff in equivalence:
        log(f"  {model} ddim {steps} step(s) {engine:14s} max rel diff {diff:.2e}")
    bad = [r for r in equivalence if not r[3] <= 1e-4]
    equivalence = [r for r in equivalence if r[2] != "tweedie-before"]
    if bad:
        sys.exit("peers.py: a peer computes another function: " + repr(bad))

    peak = roofline(args.threads)
    log(f"roofline: {peak:.1f} GFLOP/s (2048^3 f32 matmul, {args.threads} threads)")
    results = {}  # (workload, engine) -> list of (seconds per run, rss)
    keys = [k for k in args.workloads.split(",")]
    for round_index in range(args.rounds):
        for key in keys:
            w = WORKLOADS[key]
            steps = max(1, round(w.steps * args.step_scale))
            network = score_mlir.Network(ROOT / "models" / f"{w.model}.mlir")
            noise_path = workdir / f"{key}-noise.npy"
            if not noise_path.exists():
                np.save(noise_path, np.random.default_rng(1).standard_normal(
                    [w.batch] + sample_shape(network)).astype(np.float32))
            for engine in ["tweedie"] + engines:
                if w.train and engine in ("onnxruntime", "openvino"):
                    continue
                if engine in ("tweedie", "tweedie-before"):
                    runner = tweedie if engine == "tweedie" else before
                    if w.train and not (runner.bin / "tweedie-train").exists():
                        continue  # the GPU bundle lacks tweedie-train (it links the compiler)
                    if w.train:
                        seconds, rss = runner.train_step(w.batch)
                    else:
                        seconds, rss, _ = runner.sample(w.model, w.method, steps, w.batch,
                                                        noise_path)
                else:
                    command = [sys.executable, __file__, "--worker", engine, key,
                               "--device", DEVICE, "--threads",
                               str(args.threads), "--noise", noise_path, "--workdir", workdir,
                               "--step-scale", str(args.step_scale)]
                    text, _, _, rss = child_rss(command)
                    seconds = json.loads(text.strip().splitlines()[-1])["seconds"]
                results.setdefault((key, engine), []).append((seconds, rss))
                log(f"  round {round_index + 1} {key} {engine:14s} {seconds:9.3f} s  "
                    f"{rss / 2**20:7.0f} MiB")

    table = format_table(results, keys, ["tweedie"] + engines, peak, args)
    print(table)
    if args.write:
        write_report(args, table, equivalence, peak)


def format_table(results, keys, engines, peak, args):
    lines = ["| workload | engine | median | min | samples/s | vs Tweedie | % of roofline | peak RSS |",
             "|---|---|---|---|---|---|---|---|"]
    for key in keys:
        w = WORKLOADS[key]
        steps = max(1, round(w.steps * args.step_scale)) if not w.train else 1
        flops = score_mlir.Network(ROOT / "models" / f"{w.model}.mlir").flops_per_sample()
        evals = w.batch * steps * (3 if w.train else 1)  # a training step: forward + 2 backward
        base = statistics.median(s for s, _ in results.get((key, "tweedie"), [(math.nan, 0)]))
        if math.isnan(base):  # no Tweedie run (W3 on CUDA): compare with the first peer
            base = statistics.median(s for s, _ in next(
                (results[(key, e)] for e in engines if (key, e) in results), [(math.nan, 0)]))
        for engine in engines:
            runs = results.get((key, engine))
            if not runs:
                continue
            seconds = [s for s, _ in runs]
            median, best = statistics.median(seconds), min(seconds)
            per = (lambda s: f"{s / steps * 1e6:.0f} µs/step") if key == "W4" else (
                lambda s: f"{s:.3f} s")
            rate = w.batch / median
            ratio = median / base
            verdict = "1.00" if engine == "tweedie" else (
                f"{ratio:.2f}× ({'slower' if ratio > 1 else 'faster'})")
            lines.append(f"| {key} {w.summary} | {engine} | {per(median)} | {per(best)} | "
                         f"{rate:.1f} | {verdict} | {100 * flops * evals / median / 1e9 / peak:.0f}% | "
                         f"{max(r for _, r in runs) / 2**20:.0f} MiB |")
    return "\n".join(lines)


def write_report(args, table, equivalence, peak):
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    if os.environ.get("ONEDNN_MAX_CPU_ISA"):
        isa += f" (oneDNN capped at {os.environ['ONEDNN_MAX_CPU_ISA']})"
    path = pathlib.Path(args.write)
    previous = path.read_text() if path.exists() else ""
    header = "# Benchmarks\n\nWritten by `tools/bench/run-peers.sh` (tools/bench/peers.py); each run is appended.\n"
    body = previous if previous.startswith("# Benchmarks") else header
    equiv = ", ".join(f"{m} {s}-step {e} {d:.1e}" for m, s, e, d in equivalence)
    if DEVICE == "cuda":
        import torch
        isa += f"; GPU {torch.cuda.get_device_name(0)}, TF32 off"
    body += (f"\n## {args.label or 'Run'} — {datetime.date.today()}\n\n"
             f"- machine: {platform.node()}, {cpu}, {os.cpu_count()} CPUs, ISA {isa}\n"
             f"- command: `tools/bench/run-peers.sh {' '.join(sys.argv[1:])}`\n"
             f"- {args.threads} thread(s), {args.rounds} interleaved round(s), step scale {args.step_scale}; "
             f"roofline {peak:.1f} GFLOP/s\n"
             f"- same function (max relative difference to Tweedie, DDIM from the same noise): {equiv}\n\n"
             f"{table}\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(body)
    tmp.replace(path)


if __name__ == "__main__":
    main()
