"""PyTorch CPU on fedmed's standard shapes, for bench/peers.bench.ts.

Reads the settings as JSON on stdin: {"threads", "reps", "warmups", "shapes": [...], "matmul": n or null},
with shapes as bench/shapes.ts writes them. Prints one JSON object: torch's version and thread
count, and per shape the min forward and forward+backward (data, filter and bias gradients) ms;
then the matmul's min ms. Inputs are random normal: timing only, no values leave this process.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(fn, reps, warmups):
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def main():
    settings = json.load(sys.stdin)
    torch.set_num_threads(settings["threads"])
    torch.manual_seed(0)
    reps, warmups = settings["reps"], settings["warmups"]
    rows = []
    for s in settings["shapes"]:
        x = torch.randn(s["n"], s["cIn"], s["h"], s["w"], requires_grad=True)
        w = torch.randn(s["cOut"], s["cIn"], s["k"], s["k"], requires_grad=True)
        b = torch.randn(s["cOut"], requires_grad=True)
        conv = lambda: F.conv2d(x, w, b, stride=s["stride"], padding=s["padding"])
        with torch.no_grad():
            dy = torch.randn_like(conv())

        def forward():
            with torch.no_grad():
                conv()

        def forward_backward():
            x.grad = w.grad = b.grad = None
            conv().backward(dy)

        rows.append({"shape": s["name"], "forwardMs": best_ms(forward, reps, warmups), "forwardBackwardMs": best_ms(forward_backward, reps, warmups)})
    matmul = None
    if settings.get("matmul"):
        n = settings["matmul"]
        a, m = torch.randn(n, n), torch.randn(n, n)
        matmul = {"n": n, "ms": best_ms(lambda: a @ m, reps, warmups)}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows, "matmul": matmul}))


if __name__ == "__main__":
    main()
