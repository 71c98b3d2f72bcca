"""DataLoader throughput: 60,000 28x28 uint8 images through a ToTensor-like transform."""

import numpy as np

from tools.bench.harness import register

N, BATCH = 60_000, 64


def _images():
    return np.random.default_rng(0).integers(0, 256, size=(N, 28, 28), dtype=np.uint8)


def _loader(lib, data_mod, num_workers):
    images = _images()
    labels = np.arange(N) % 10

    class Images(data_mod.Dataset):
        def __len__(self):
            return N

        def __getitem__(self, i):
            x = lib.from_numpy(images[i]).float().div(255).unsqueeze(0)  # ToTensor
            return x, int(labels[i])

    loader = data_mod.DataLoader(Images(), batch_size=BATCH, shuffle=True,
                                 num_workers=num_workers)

    def epoch():
        import time

        start = time.perf_counter()
        for _ in loader:
            pass
        return time.perf_counter() - start

    return epoch


def _ember(num_workers):
    def setup():
        import ember
        import ember.utils.data as data

        return _loader(ember, data, num_workers)

    return setup


def _torch(num_workers):
    def setup():
        import torch
        import torch.utils.data as data

        return _loader(torch, data, num_workers)

    return setup


for _w in (0, 2):
    register(f"dataloader_60k_w{_w}", ember=_ember(_w), torch=_torch(_w), number=1, repeat=3,
             self_timed=True)
