"""Fallback training demo: a small MLP learns two interleaved spirals with ember.nn and ember.optim.

    python tools/train_demo.py [--epochs 300] [--out demo-output]

The nox `demo` session runs `python -m ember.vision.demo` when ember-vision has it
and this script otherwise. The code is plain PyTorch with `torch` renamed to
`ember`; it exits non-zero if the network does not learn (accuracy below 95%).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import ember
from ember import nn, optim


def spirals(n_per_class: int = 200, seed: int = 0) -> tuple[ember.Tensor, ember.Tensor]:
    """Two spirals in the plane, one per class, with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    points = np.concatenate([arm, -arm]) + rng.normal(0, 0.02, (2 * n_per_class, 2))
    labels = np.repeat([0, 1], n_per_class)
    return ember.from_numpy(points.astype(np.float32)), ember.from_numpy(labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    args = parser.parse_args(argv)

    ember.manual_seed(0)
    x, y = spirals()
    model = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)
    )
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(1, args.epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0 or epoch == 1:
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")

    with ember.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    print(f"training accuracy {accuracy:.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    ember.save(model.state_dict(), args.out / "spirals_mlp.pt")
    print(f"saved {args.out / 'spirals_mlp.pt'}")
    return 0 if accuracy >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
