"""Training steps (forward, loss, backward, optimizer step) of the nn issue's four models."""

import importlib

from tools.bench.harness import register


def register_same(name, build, **options):
    """Like harness.register_same, importing each library's nn and optim first."""
    def setup(libname):
        def make():
            lib = importlib.import_module(libname)
            importlib.import_module(f"{libname}.nn")
            importlib.import_module(f"{libname}.optim")
            return build(lib)

        return make

    register(name, ember=setup("ember"), torch=setup("torch"), **options)


def _step(lib, model, opt, x, y, loss_fn):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def _mlp(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.randn(64, 784), lib.randint(0, 10, (64,))
    return _step(lib, model, opt, x, y, lib.nn.functional.cross_entropy)


def _mnist_cnn(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x, y = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))
    return _step(lib, model, opt, x, y, lib.nn.functional.cross_entropy)


def _lstm_lm(lib):
    lib.manual_seed(0)
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 128)
            self.rnn = nn.LSTM(128, 256, num_layers=2)
            self.out = nn.Linear(256, 1000)

        def forward(self, tokens):
            h, _ = self.rnn(self.emb(tokens))
            return self.out(h).reshape(-1, 1000)

    model = LM()
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.randint(0, 1000, (35, 20))
    y = lib.randint(0, 1000, (35 * 20,))
    return _step(lib, model, opt, x, y, lib.nn.functional.cross_entropy)


def _transformer(lib):
    lib.manual_seed(0)
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, dropout=0.0,
                                       batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=4)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-4)
    x = lib.randn(16, 64, 256)
    return _step(lib, model, opt, x, None, lambda out, _: out.pow(2).mean())


for _name, _build in (("train_mlp_784_256_10", _mlp), ("train_mnist_cnn", _mnist_cnn),
                      ("train_lstm_2x256", _lstm_lm), ("train_transformer_4x256", _transformer)):
    register_same(_name, _build, repeat=5)
