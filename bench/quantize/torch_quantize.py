"""PyTorch 1.13 side of bench/quantize (docs/quantization.md): the demo LeNet (examples/lenet) loaded from a
run's model.safetensors, batch-1 and batch-64 forward latency in float32 and after
torch.ao.quantization.quantize_dynamic (Linear layers to int8) with the qnnpack and onednn engines.
usage: /usr/bin/python3 bench/quantize/torch_quantize.py runs/lenet"""
import json, statistics, struct, sys, time

import numpy as np
import torch
from torch import nn


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).reshape(v["shape"]).copy())
    return out


def lenet():  # examples/lenet/config.json: channels [16, 32], hidden [128, 84]
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 5 * 5, 128), nn.ReLU(),
                         nn.Linear(128, 84), nn.ReLU(), nn.Linear(84, 10))


def median_us(fn, reps):
    for _ in range(3):
        fn()
    t = []
    for _ in range(reps):
        a = time.perf_counter()
        fn()
        t.append((time.perf_counter() - a) * 1e6)
    return statistics.median(t)


def main():
    run = sys.argv[1]
    model = lenet()
    model.load_state_dict(load_safetensors(run + "/model.safetensors"))
    model.eval()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, engines {torch.backends.quantized.supported_engines}")
    with torch.no_grad():
        for b in (1, 64):
            x = torch.randn(b, 1, 28, 28)
            reps = 500 if b == 1 else 50
            print(f"torch float32        batch {b:<3} {median_us(lambda: model(x), reps):9.1f} us")
            for engine in ("qnnpack", "onednn"):
                if engine not in torch.backends.quantized.supported_engines:
                    print(f"torch {engine}: not supported by this build")
                    continue
                torch.backends.quantized.engine = engine
                q = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
                print(f"torch int8 {engine:<9} batch {b:<3} {median_us(lambda: q(x), reps):9.1f} us")


if __name__ == "__main__":
    main()
