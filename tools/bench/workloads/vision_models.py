"""ResNet-18 from ember.vision.models against torchvision's: inference at batch 8 on 224x224,
and one training step (SGD) at batch 16 on 64x64; the median of nine interleaved rounds (one
call each, Ember then PyTorch), as one step is long and a shared machine noisy."""

import importlib

from tools.bench.harness import register


def _resnet(libname: str, models_module: str, train: bool):
    def setup():
        lib = importlib.import_module(libname)
        importlib.import_module(f"{libname}.nn")
        importlib.import_module(f"{libname}.optim")
        models = importlib.import_module(models_module)
        lib.manual_seed(0)
        model = models.resnet18(num_classes=10 if train else 1000)
        if not train:
            model.eval()
            x = lib.randn(8, 3, 224, 224)

            def infer():
                with lib.no_grad():
                    model(x)

            return infer
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = lib.randn(16, 3, 64, 64), lib.randint(0, 10, (16,))

        def step():
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

        return step

    return setup


register("resnet18_infer_b8_224", ember=_resnet("ember", "ember.vision.models", False),
         torch=_resnet("torch", "torchvision.models", False), repeat=9)
register("resnet18_train_b16_64", ember=_resnet("ember", "ember.vision.models", True),
         torch=_resnet("torch", "torchvision.models", True), repeat=9)
