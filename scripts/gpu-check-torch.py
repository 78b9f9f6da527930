"""The GPU check's anchor: the same training step as stages/ml/model.ts in this machine's PyTorch.

Reads the ladder (`node gpu-check.mjs ladder`) on stdin: per member an MLP over the 772 board
features, `depth` ReLU layers of `width`, and the full 4096-move head or the factored one (per square
a from-score a, a to-score b, rank-k embeddings u and v; move (f, t) scores a_f + b_t + <u_f, v_t>/sqrt(k)),
illegal moves at -1e9, soft cross-entropy, Adam at lr 1e-3. Synthetic sparse inputs (28 features,
35 legal moves), like scripts/gpu-check.ts. Times `steps` steps after one warm-up on CUDA when present,
else on the CPU; the batches are on the device beforehand (the tfjs figures include building them).
Prints one JSON object.
"""
import json
import math
import sys
import time

INPUTS, MOVES, SQUARES = 772, 4096, 64


def main():
    spec = json.load(sys.stdin)
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"ok": False, "error": f"no PyTorch here: {e}"}))
        return
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = {"torch": torch.__version__, "device": str(dev), "batch": spec["batch"], "steps": spec["steps"], "members": []}
    if dev.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
    g = torch.Generator().manual_seed(1)
    n = spec["batch"]

    def batch():
        x = torch.zeros(n, INPUTS)
        x.scatter_(1, torch.randint(0, INPUTS, (n, 28), generator=g), 1.0)
        legal = torch.randint(0, MOVES, (n, 35), generator=g)
        mask = torch.full((n, MOVES), -1e9).scatter_(1, legal, 0.0)
        target = torch.zeros(n, MOVES).scatter_(1, legal[:, :1], 1.0)
        return x.to(dev), mask.to(dev), target.to(dev)

    for m in spec["ladder"]:
        a = m["arch"]
        k = a.get("rank") or 8
        factored = a.get("head") == "factored"
        dims = [INPUTS] + [a["width"]] * a["depth"] + [2 * SQUARES + 2 * SQUARES * k if factored else MOVES]
        layers = []
        for i in range(len(dims) - 1):
            layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
            if i + 2 < len(dims):
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def scores(h):
            if not factored:
                return h
            fa, tb, u, v = torch.split(h, [SQUARES, SQUARES, SQUARES * k, SQUARES * k], 1)
            uv = torch.bmm(u.reshape(n, SQUARES, k), v.reshape(n, k, SQUARES)) / math.sqrt(k)
            return (uv + fa.reshape(n, SQUARES, 1) + tb.reshape(n, 1, SQUARES)).reshape(n, MOVES)

        data = [batch() for _ in range(spec["steps"] + 1)]

        def step(x, mask, target):
            opt.zero_grad(set_to_none=True)
            z = scores(net(x)) + mask
            loss = -(target * torch.log_softmax(z, 1)).sum(1).mean()
            loss.backward()
            opt.step()

        step(*data[0])
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for b in data[1:]:
            step(*b)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        s = time.perf_counter() - t0
        row = {"name": m["name"], "examplesPerSecond": round(n * spec["steps"] / s), "stepMs": round(1000 * s / spec["steps"], 2)}
        out["members"].append(row)
        print(json.dumps(row), file=sys.stderr)
    out["ok"] = True
    print(json.dumps(out))


main()
