"""Optimizer steps over ResNet-18's parameters (62 tensors, 11.7 M float32 values)."""

from tools.bench.harness import register_same

# torchvision's resnet18().parameters() shapes, in order
_BLOCK = [(64,), (64,)]
RESNET18_SHAPES = [
    (64, 3, 7, 7), *_BLOCK,
    *[s for _ in range(4) for s in ((64, 64, 3, 3), (64,), (64,))],
    (128, 64, 3, 3), (128,), (128,), (128, 128, 3, 3), (128,), (128,),
    (128, 64, 1, 1), (128,), (128,),
    *[s for _ in range(2) for s in ((128, 128, 3, 3), (128,), (128,))],
    (256, 128, 3, 3), (256,), (256,), (256, 256, 3, 3), (256,), (256,),
    (256, 128, 1, 1), (256,), (256,),
    *[s for _ in range(2) for s in ((256, 256, 3, 3), (256,), (256,))],
    (512, 256, 3, 3), (512,), (512,), (512, 512, 3, 3), (512,), (512,),
    (512, 256, 1, 1), (512,), (512,),
    *[s for _ in range(2) for s in ((512, 512, 3, 3), (512,), (512,))],
    (1000, 512), (1000,),
]


def _step(name, **options):
    def build(lib):
        params = [lib.randn(*shape, requires_grad=True) for shape in RESNET18_SHAPES]
        for p in params:
            p.grad = lib.randn(*p.shape) * 1e-2
        opt = getattr(lib.optim, name)(params, **options)
        return opt.step

    return build


register_same("optim_sgd_momentum_resnet18", _step("SGD", lr=1e-3, momentum=0.9))
register_same("optim_adam_resnet18", _step("Adam", lr=1e-3))
register_same("optim_adamw_resnet18", _step("AdamW", lr=1e-3, weight_decay=1e-2))
