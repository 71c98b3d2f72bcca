"""ResNet-18's convolutions one by one, Ember's kernels against PyTorch's, in one process.

``python -m tools.bench.conv_layers [--batch 16] [--size 64]`` prints, per distinct layer
shape of ResNet-18 at that batch and input size, the forward and the backward (input and
weight gradients) in milliseconds and as Ember/PyTorch, and the totals weighted by how
often each shape occurs. It is the breakdown behind the ``resnet18_*`` workloads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np


def _ms(fn: Callable[[], object], rounds: int) -> float:
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _layers(size: int) -> list[tuple[int, int, int, int, int, int, int]]:
    """(in, out, kernel, stride, padding, input size, count) of ResNet-18's convolutions."""
    s = size // 4  # after the stem's stride-2 convolution and max pool
    return [(3, 64, 7, 2, 3, size, 1), (64, 64, 3, 1, 1, s, 4), (64, 128, 3, 2, 1, s, 1),
            (64, 128, 1, 2, 0, s, 1), (128, 128, 3, 1, 1, s // 2, 3),
            (128, 256, 3, 2, 1, s // 2, 1), (128, 256, 1, 2, 0, s // 2, 1),
            (256, 256, 3, 1, 1, s // 4, 3), (256, 512, 3, 2, 1, s // 4, 1),
            (256, 512, 1, 2, 0, s // 4, 1), (512, 512, 3, 1, 1, s // 8, 3)]


def _time_layer(layer: tuple, batch: int, rounds: int, rng: np.random.Generator) -> tuple:
    """Milliseconds of Ember's and PyTorch's forward and backward for one layer shape."""
    import torch

    from ember.ops import _conv_kernels as kernels

    cin, cout, k, stride, pad, size, _ = layer
    x = rng.standard_normal((batch, cin, size, size)).astype(np.float32)
    w = rng.standard_normal((cout, cin, k, k)).astype(np.float32)
    geom = kernels.Geom((stride, stride), (1, 1), (pad, pad), (pad, pad), 1)
    gy = rng.standard_normal(kernels.conv_forward(np, x, w, geom).shape).astype(np.float32)
    tx, tw, tgy = (torch.from_numpy(a) for a in (x, w, gy))
    ef = _ms(lambda: kernels.conv_forward(np, x, w, geom), rounds)
    eb = _ms(lambda: (kernels.conv_input_grad(np, gy, w, geom, (size, size)),
                      kernels.conv_weight_grad(np, x, gy, geom, (k, k))), rounds)
    with torch.no_grad():
        tf = _ms(lambda: torch.conv2d(tx, tw, None, stride, pad), rounds)
        tb = _ms(lambda: torch.ops.aten.convolution_backward(
            tgy, tx, tw, None, [stride, stride], [pad, pad], [1, 1], False, [0, 0], 1,
            [True, True, False]), rounds)
    return ef, tf, eb, tb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    totals = dict.fromkeys(("ember fwd", "torch fwd", "ember bwd", "torch bwd"), 0.0)
    print(f"{'layer':32}{'fwd ms':>16}{'ratio':>7}{'bwd ms':>18}{'ratio':>7}")
    for layer in _layers(args.size):
        ef, tf, eb, tb = _time_layer(layer, args.batch, args.rounds, rng)
        cin, cout, k, stride, _, size, count = layer
        for key, value in zip(totals, (ef, tf, eb, tb)):
            totals[key] += value * count
        name = f"{cin}->{cout} k{k} s{stride} {size}x{size} (x{count})"
        print(f"{name:32}{ef:8.2f}/{tf:<7.2f}{ef / tf:7.2f}{eb:9.2f}/{tb:<8.2f}{eb / tb:7.2f}")
    print(f"{'total':32}{totals['ember fwd']:8.1f}/{totals['torch fwd']:<7.1f}"
          f"{totals['ember fwd'] / totals['torch fwd']:7.2f}{totals['ember bwd']:9.1f}/"
          f"{totals['torch bwd']:<8.1f}{totals['ember bwd'] / totals['torch bwd']:7.2f}")


if __name__ == "__main__":
    main()
