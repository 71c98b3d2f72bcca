"""Ember's demo: train a small CNN on the 8x8 Digits, check it, save it, reload it, plot it.

    python -m ember.vision.demo [--epochs 8] [--device cpu] [--out demo-output] [--seed 0]

The code is a plain PyTorch training script with ``torch`` renamed ``ember``:
BatchNorm and a one-cycle learning-rate schedule reach at least 97% held-out
accuracy on every seed in well under a minute on two CPU cores. It writes
``<out>/digits_cnn.pt`` (a checkpoint PyTorch can load), ``<out>/predictions.png``
(test digits with their predicted labels, mistakes in red), ``<out>/loss.png``
(the training curve) and ``<out>/metrics.json``; it exits with status 1 when the
accuracy is below 97% or the reloaded model disagrees.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import ember
from ember import nn, optim
from ember.utils.data import DataLoader, TensorDataset

from .datasets.digits import Digits

TARGET_ACCURACY = 0.97


def build_model() -> nn.Module:
    """A three-convolution network with BatchNorm for 1x8x8 inputs."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Dropout(0.2), nn.Linear(64, 10),
    )


def to_tensors(ds: Digits, device: ember.device) -> tuple[ember.Tensor, ember.Tensor]:
    """The whole split as one (N, 1, 8, 8) float tensor in [0, 1] and its labels."""
    x = ember.from_numpy(ds.data).float().div(255).unsqueeze(1)
    y = ember.tensor(ds.targets)
    return x.to(device), y.to(device)


@ember.no_grad()
def evaluate(model: nn.Module, x: ember.Tensor, y: ember.Tensor) -> tuple[float, ember.Tensor]:
    model.eval()
    pred = model(x).argmax(dim=1)
    return (pred == y).float().mean().item(), pred


def train(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    ember.manual_seed(args.seed)
    device = ember.device(args.device)
    x_train, y_train = to_tensors(Digits(train=True), device)
    x_test, y_test = to_tensors(Digits(train=False), device)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    model = build_model().to(device)
    opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, epochs=args.epochs,
                                          steps_per_epoch=len(loader))
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        correct = seen = 0
        bar = tqdm(loader, desc=f"epoch {epoch:2d}/{args.epochs}", leave=True,
                   file=sys.stdout, disable=args.quiet)
        for xb, yb in bar:
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            bar.set_postfix(loss=f"{losses[-1]:.3f}", acc=f"{correct / seen:.3f}")
    seconds = time.perf_counter() - start
    accuracy, pred = evaluate(model, x_test, y_test)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "digits_cnn.pt"
    ember.save(model.state_dict(), ckpt)
    reloaded = build_model().to(device)
    reloaded.load_state_dict(ember.load(ckpt, map_location=device))
    reloaded_accuracy, _ = evaluate(reloaded, x_test, y_test)
    save_predictions(x_test.cpu().numpy(), y_test.cpu().numpy(), pred.cpu().numpy(),
                     out / "predictions.png")
    save_loss_curve(losses, out / "loss.png")
    metrics = {"test_accuracy": accuracy, "reloaded_accuracy": reloaded_accuracy,
               "train_seconds": seconds, "epochs": args.epochs, "seed": args.seed}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def save_predictions(images: np.ndarray, targets: np.ndarray, preds: np.ndarray,
                     path: Path, n: int = 64, scale: int = 6) -> None:
    """A grid of test digits, each with its predicted label; mistakes framed in red."""
    from PIL import Image, ImageDraw

    n = min(n, len(images))
    cols = 8
    rows = (n + cols - 1) // cols
    cell = 8 * scale
    pad = 14
    canvas = Image.new("RGB", (cols * (cell + 4), rows * (cell + pad + 4)), "white")
    draw = ImageDraw.Draw(canvas)
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * (cell + 4) + 2, r * (cell + pad + 4) + 2
        pixels = (images[i, 0] * 255).clip(0, 255).astype(np.uint8)
        tile = Image.fromarray(pixels, mode="L").resize((cell, cell), Image.NEAREST)
        canvas.paste(tile.convert("RGB"), (x0, y0))
        wrong = preds[i] != targets[i]
        color = (220, 0, 0) if wrong else (0, 120, 0)
        if wrong:
            draw.rectangle([x0 - 2, y0 - 2, x0 + cell + 1, y0 + cell + 1], outline=color, width=2)
        label = f"{preds[i]}" + (f" (true {targets[i]})" if wrong else "")
        draw.text((x0, y0 + cell + 1), label, fill=color)
    canvas.save(path)


def save_loss_curve(losses: list[float], path: Path) -> None:
    """The training loss per step: with matplotlib where installed, else drawn with Pillow."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(losses, lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_yscale("log")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return
    except ImportError:
        pass
    from PIL import Image, ImageDraw

    w, h, m = 600, 350, 40
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    logs = np.log10(np.maximum(np.asarray(losses), 1e-6))
    lo, hi = float(logs.min()), float(logs.max()) or 1.0
    span = (hi - lo) or 1.0
    pts = [(m + (w - 2 * m) * i / max(1, len(logs) - 1),
            h - m - (h - 2 * m) * (v - lo) / span) for i, v in enumerate(logs)]
    draw.line([(m, m), (m, h - m), (w - m, h - m)], fill="black")
    draw.line(pts, fill=(31, 119, 180), width=2)
    draw.text((m, 10), "training loss (log scale) per step", fill="black")
    img.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train a CNN on the 8x8 Digits with Ember.")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="demo-output")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    m = train(args)
    print(f"test accuracy {m['test_accuracy']:.4f} (reloaded {m['reloaded_accuracy']:.4f}) "
          f"after {m['train_seconds']:.1f} s of training; outputs in {args.out}/")
    ok = m["test_accuracy"] >= TARGET_ACCURACY and m["reloaded_accuracy"] == m["test_accuracy"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
