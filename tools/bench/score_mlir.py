"""A score network written in Tweedie's `score` dialect, rebuilt as a PyTorch module.

The peers of tools/bench/peers.py must compute the same function as Tweedie from the
same weights. Rather than a second hand-written copy of each architecture (which would
drift from models/*.mlir), this reads the network's func.func line by line: every op of
the bundled networks is one line `%v = score.<op> ...`, in the generic form the model
generator writes. The semantics follow the float64 reference interpreter
(compiler/lib/Reference): [in, out] dense weights, NCHW convolutions, group norm with
biased variance and epsilon 1e-5, attention softmax(q k^T / sqrt(d_head)) v per head,
nearest upsampling, the sinusoidal embedding [sin | cos] with max period 10000.
"""
import math
import re

_LINE = re.compile(r"^\s*(%[\w.]+) = score\.(\w+) (.*)$")
_VALUE = re.compile(r"%[\w.]+")
_TYPE = re.compile(r"tensor<([^>]*)>")


def _shape(text):
    dims = text.split("x")[:-1]  # the element type is last
    return [None if d == "?" else int(d) for d in dims]


def _ints(attrs, name, default):
    match = re.search(name + r" = array<i64: ([\d, ]+)>", attrs)
    return [int(v) for v in match.group(1).split(",")] if match else default


class Network:
    """The ops of one func.func: (result, op, operands, attributes text, result shape)."""

    def __init__(self, path, name=None):
        text = open(path).read()
        funcs = re.findall(r"func\.func @(\w+)\((.*?)\).*?\{(.*?)\n\}", text, re.S)
        func = next(f for f in funcs if name is None or f[0] == name)
        self.name = func[0]
        self.inputs = re.findall(r"(%\w+):", func[1])
        self.ops, self.result = [], None
        for line in func[2].splitlines():
            if line.strip().startswith("return"):
                self.result = _VALUE.search(line).group(0)
                continue
            match = _LINE.match(line)
            if not match:
                continue
            value, op, rest = match.groups()
            head = rest.split(" : ")[0]
            types = _TYPE.findall(rest.split(" : ", 1)[1]) if " : " in rest else []
            operands = _VALUE.findall(head.split("{")[0])
            self.ops.append((value, op, operands, rest, _shape(types[-1]) if types else None))
        if not self.ops or self.result is None:
            raise ValueError(f"{path}: no score network found")

    def flops_per_sample(self):
        """Multiply-adds x 2 of the dense, conv2d and attention ops, per sample."""
        shapes, total = {}, 0
        for value, op, operands, rest, shape in self.ops:
            shapes[value] = shape
            types = [_shape(t) for t in _TYPE.findall(rest.split(" : ", 1)[1])]
            if op == "dense":
                rows = math.prod(d for d in types[0][:-1] if d is not None)
                total += 2 * rows * types[1][0] * types[1][1]
            elif op == "conv2d":
                w, out = types[1], types[-1]
                total += 2 * math.prod(w[1:]) * math.prod(out[1:])
            elif op == "attention":
                q, k = types[0], types[1]
                total += 2 * 2 * q[1] * k[1] * q[2]
        return total


def torch_module(network, weights):
    """A torch.nn.Module computing `network` with the named tensors of `weights`."""
    import torch
    import torch.nn.functional as F

    def act(kind, x):
        return {
            "silu": F.silu, "gelu": lambda v: F.gelu(v), "relu": F.relu, "tanh": torch.tanh,
            "softplus": F.softplus, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
            "square": lambda v: v * v, "reciprocal": torch.reciprocal,
            "sigmoid": torch.sigmoid,
        }[kind](x)

    def attention(q, k, v, heads):
        b, length, e = q.shape
        dh = e // heads
        split = lambda m: m.reshape(b, -1, heads, dh).transpose(1, 2)
        scores = torch.matmul(split(q), split(k).transpose(-1, -2)) * (1.0 / math.sqrt(dh))
        out = torch.matmul(torch.softmax(scores, dim=-1), split(v))
        return out.transpose(1, 2).reshape(b, length, e)

    class ScoreNetwork(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.params = torch.nn.ParameterDict()
            self.names = {}
            for value, op, operands, rest, shape in network.ops:
                if op == "param":
                    name = re.match(r'"([^"]+)"', rest).group(1)
                    key = name.replace(".", "_")
                    self.params[key] = torch.nn.Parameter(
                        torch.as_tensor(weights[name], dtype=torch.float32).reshape(shape))
                    self.names[value] = key

        def forward(self, *inputs):
            env = dict(zip(network.inputs, inputs))
            for value, op, operands, rest, shape in network.ops:
                get = lambda i: env[operands[i]]
                head = rest.split(" : ")[0]
                if op == "param":
                    out = self.params[self.names[value]]
                elif op == "dense":
                    out = torch.matmul(get(0), get(1))
                    if len(operands) > 2:
                        out = out + get(2)
                elif op == "conv2d":
                    out = F.conv2d(get(0), get(1), get(2) if len(operands) > 2 else None,
                                   stride=_ints(head, "stride", [1, 1]),
                                   padding=_ints(head, "padding", [0, 0]),
                                   groups=int((re.search(r"groups = (\d+)", head) or [0, 1])[1]))
                elif op == "group_norm":
                    groups = int(re.search(r"groups\((\d+)\)", head).group(1))
                    out = F.group_norm(get(0), groups, get(1), get(2), eps=1e-5)
                elif op == "act":
                    out = act(rest.split()[0], get(0))
                elif op == "add":
                    out = get(0) + get(1)
                elif op == "mul":
                    out = get(0) * get(1)
                elif op == "reshape":
                    out = get(0).reshape([-1] + shape[1:])
                elif op == "transpose":
                    perm = [int(v) for v in re.search(r"\[([\d, ]+)\]", head).group(1).split(",")]
                    out = get(0).permute(perm)
                elif op == "attention":
                    out = attention(get(0), get(1), get(2),
                                    int(re.search(r"heads\((\d+)\)", head).group(1)))
                elif op == "concat":
                    out = torch.cat([env[o] for o in operands],
                                    dim=int(re.search(r"axis\((\d+)\)", head).group(1)))
                elif op == "upsample":
                    scale = int(re.search(r"scale\((\d+)\)", head).group(1))
                    out = get(0).repeat_interleave(scale, 2).repeat_interleave(scale, 3)
                elif op == "time_embedding" and head.startswith("sinusoidal"):
                    dim = int(re.search(r"dim\((\d+)\)", head).group(1))
                    half = dim // 2
                    k = torch.arange(half, dtype=torch.float64)
                    freqs = torch.exp(-math.log(10000.0) * k / half).to(torch.float32)
                    angle = get(0)[:, None] * freqs[None, :]
                    out = torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
                else:
                    raise ValueError(f"score.{op} is not translated to PyTorch")
                env[value] = out
            return env[network.result]

    return ScoreNetwork()
