"""Session 29: pytorch.org tutorials not covered before, shortened (few steps, small random
data under ``manual_seed``), run as program text under PyTorch and with ``torch`` spelled
``ember``; what they print must be the same text.

Covered: "Learning PyTorch with Examples" (its custom ``autograd.Function``
LegendrePolynomial3, ``nn``, ``optim``, custom modules and the dynamic net that shares
weights); "Spatial Transformer Networks" (``affine_grid``/``grid_sample`` in training: the
input and grid gradients to the bit, as PyTorch's vectorised 2-D kernel sums them, for
every mode, padding and grid layout); "Adversarial Example Generation" (FGSM); char-RNN
classification and generation; transfer learning (frozen features, ``StepLR``, best weights
by ``copy.deepcopy``); the pruning and parametrizations tutorials; module and tensor hooks.
"""

from __future__ import annotations

import numpy as np
import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")

LEGENDRE = """
import torch, math
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)
    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)
dtype = torch.float64
x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(300):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad; b -= learning_rate * b.grad
        c -= learning_rate * c.grad; d -= learning_rate * d.grad
        a.grad = None; b.grad = None; c.grad = None; d.grad = None
print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)')
print(type(y_pred.grad_fn).__name__, a, d)
"""

NN_OPTIM = """
import torch, math
torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction='sum')
print(model, xx.shape)
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
print(optimizer)
for t in range(300):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.2f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear_layer = model[0]
print(f'Result: y = {linear_layer.bias.item():.3f} + {linear_layer.weight[:, 0].item():.3f} x')
print(sorted(optimizer.state_dict()['state'][0].keys()), y_pred.grad_fn)
"""

DYNAMIC = """
import torch, math, random
class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))
    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y
    def string(self):
        return f'y = {self.a.item():.8f} + {self.b.item():.8f} x + {self.e.item():.8f} x^4 ?'
torch.manual_seed(0); random.seed(0)
torch.set_default_dtype(torch.float64)
try:
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    model = DynamicNet()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    for t in range(300):
        loss = criterion(model(x), y)
        if t % 100 == 99: print(t, loss.item())
        optimizer.zero_grad(); loss.backward(); optimizer.step()
    print(model.string())
    print(model, [n for n, _ in model.named_parameters()])
finally:
    torch.set_default_dtype(torch.float32)
"""

# the STN of the tutorial with an elementwise localisation (no matrix products), in float64 (float32 transcendental functions are NumPy's): the gradients grid_sample sends to
# the input and to the grid printed in full
STN = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.loc_w = nn.Parameter(0.3 * torch.randn(2, 3))
        self.loc_b = nn.Parameter(torch.tensor([[1, 0, 0], [0, 1, 0]], dtype=torch.float))
        self.head = nn.Parameter(torch.randn(3, 4, 4))
    def stn(self, x):
        theta = self.loc_b + x.detach().mean((1, 2, 3)).view(-1, 1, 1) * self.loc_w
        self.grid = F.affine_grid(theta, x.size(), align_corners=False)
        self.grid.retain_grad()
        return F.grid_sample(x, self.grid, align_corners=False)
    def forward(self, x):
        x = self.stn(x)
        return (x[:, :, :4, :4] * self.head).sum()
torch.set_default_dtype(torch.float64)
try:
    model = Net()
    for step in range(3):  # (theta's gradient is affine_grid's matrix product: not shown)
        data = torch.randn(4, 3, 12, 12, requires_grad=True)
        model.zero_grad()
        loss = model(data)
        loss.backward()
        print(step, loss.item())
        print(data.grad.flatten()[::37].tolist())
        print(model.grid.grad.flatten()[::11].tolist())
finally:
    torch.set_default_dtype(torch.float32)
"""

FGSM = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
try:
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(28 * 28, 32)
            self.dropout1 = nn.Dropout(0.25)
            self.fc2 = nn.Linear(32, 10)
        def forward(self, x):
            x = self.dropout1(F.relu(self.fc1(torch.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)
    model = Net(); model.eval()
    def fgsm_attack(image, epsilon, data_grad):
        perturbed_image = image + epsilon * data_grad.sign()
        return torch.clamp(perturbed_image, 0, 1)
    def denorm(batch, mean=[0.1307], std=[0.3081]):
        mean = torch.tensor(mean); std = torch.tensor(std)
        return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)
    images = torch.rand(5, 1, 28, 28); labels = torch.randint(0, 10, (5,))
    norm = (images - 0.1307) / 0.3081
    for epsilon in [0, .05, .3]:
        correct = 0; adv = []
        for i in range(5):
            data = norm[i:i+1].clone(); target = labels[i:i+1]
            data.requires_grad = True
            output = model(data)
            init_pred = output.max(1, keepdim=True)[1]
            loss = F.nll_loss(output, target)
            model.zero_grad()
            loss.backward()
            perturbed = fgsm_attack(denorm(data), epsilon, data.grad.data)
            output = model((perturbed - 0.1307) / 0.3081)
            final_pred = output.max(1, keepdim=True)[1]
            correct += int(final_pred.item() == target.item())
            adv.append((init_pred.item(), final_pred.item(),
                        float(perturbed.squeeze().detach().cpu().numpy().sum())))
        print(f"Epsilon: {epsilon}\\tTest Accuracy = {correct} / 5 = {correct/5}", adv)
finally:
    torch.set_default_dtype(torch.float32)
"""

CHAR_RNN = """
import torch, string
import torch.nn as nn
letters = string.ascii_letters + " .,;'"
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, len(letters))
    for li, letter in enumerate(line):
        tensor[li][0][letters.find(letter)] = 1
    return tensor
class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)
    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        return self.softmax(self.h2o(hidden[0]))
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
try:
    labels = ['English', 'French', 'Italian']
    rnn = CharRNN(len(letters), 16, 3)
    print(rnn)
    names = [('Smith', 0), ('Dubois', 1), ('Rossi', 2), ('Jones', 0), ('Moreau', 1)]
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
    for epoch in range(3):
        batch_loss = 0
        for name, lab in names:
            batch_loss += criterion(rnn(lineToTensor(name)), torch.tensor([lab], dtype=torch.long))
        batch_loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step(); optimizer.zero_grad()
        print(epoch, f"{batch_loss.item() / len(names):.10f}")
    with torch.no_grad():
        out = rnn(lineToTensor('Albert'))
        top_n, top_i = out.topk(1)
        print(out, labels[top_i[0].item()], top_n)
finally:
    torch.set_default_dtype(torch.float32)
"""

TRANSFER = """
import torch, copy
import torch.nn as nn
from torch.optim import lr_scheduler
torch.manual_seed(0)
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(inplace=True))
        self.fc = nn.Linear(8, 5)
    def forward(self, x):
        return self.fc(self.features(x))
model = Tiny()
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, 2)
print(model.fc, [p.requires_grad for p in model.parameters()])
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
best_wts = copy.deepcopy(model.state_dict()); best_acc = 0.0
x = torch.randn(8, 6); y = torch.randint(0, 2, (8,))
for epoch in range(4):
    for phase in ['train', 'val']:
        model.train() if phase == 'train' else model.eval()
        optimizer.zero_grad()
        with torch.set_grad_enabled(phase == 'train'):
            outputs = model(x)
            _, preds = torch.max(outputs, 1)
            loss = criterion(outputs, y)
            if phase == 'train':
                loss.backward(); optimizer.step()
        if phase == 'train':
            sched.step()
        acc = torch.sum(preds == y.data).double() / 8
        print(f'{phase} Loss: {loss.item():.4f} Acc: {acc:.4f}', sched.get_last_lr())
        if phase == 'val' and acc > best_acc:
            best_acc = acc
            best_wts = copy.deepcopy(model.state_dict())
print(best_acc, best_acc.dtype, model.load_state_dict(best_wts))
print(model.features[1].running_mean, model.features[1].num_batches_tracked)
m2 = Tiny(); m2.requires_grad_(False); m2.fc.requires_grad_(True)
print([n for n, p in m2.named_parameters() if p.requires_grad], sched.state_dict())
"""

PRUNE = """
import torch
from torch import nn
import torch.nn.utils.prune as prune
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
module = model[0]
prune.random_unstructured(module, name="weight", amount=0.3)
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
print(module.weight_mask.sum(), list(module._forward_pre_hooks.values()))  # (keys: a global hook count)
prune.l1_unstructured(module, name="bias", amount=3)
print(module.bias_mask, module.bias)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight_mask.sum(dim=(1, 2, 3)))
hook = [h for h in module._forward_pre_hooks.values() if h._tensor_name == "weight"][0]
print(list(hook), type(hook).__name__, list(model.state_dict().keys()))
prune.remove(module, 'weight')
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
prune.global_unstructured(((model[0], 'weight'), (model[3], 'weight')),
                          pruning_method=prune.L1Unstructured, amount=0.2)
for m in (model[0], model[3]):
    print("Sparsity: {:.2f}%".format(100. * float(torch.sum(m.weight == 0)) / float(m.weight.nelement())))
class FooBarPruningMethod(prune.BasePruningMethod):
    PRUNING_TYPE = 'unstructured'
    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask
FooBarPruningMethod.apply(model[3], 'bias')
print(model[3].bias_mask, prune.is_pruned(model), model(torch.randn(2, 1, 6, 6)).shape)
"""

PARAMETRIZE = """
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
try:
    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)
        def right_inverse(self, A):
            return A.triu(1)
    class CayleyMap(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("Id", torch.eye(n))
        def forward(self, X):
            return torch.linalg.solve(self.Id - X, self.Id + X)
    class Noisy(nn.Module):
        def forward(self, X):
            print("Computing the Parametrization")
            return X
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Skew())
    parametrize.register_parametrization(layer, "weight", CayleyMap(3))
    X = layer.weight
    print(torch.dist(X.T @ X, torch.eye(3)) < 1e-6, layer, layer.parametrizations.weight)
    print(parametrize.is_parametrized(layer), parametrize.is_parametrized(layer, "bias"))
    layer = nn.Linear(4, 4)
    parametrize.register_parametrization(layer, "weight", Noisy())
    foo = layer.weight + layer.weight.T
    with parametrize.cached():
        foo = layer.weight + layer.weight.T
        bar = layer.weight.sum()
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Skew())
    X = torch.rand(3, 3); X = X - X.T
    layer.weight = X
    print(torch.dist(layer.weight, X), layer.parametrizations.weight.original)
    print(list(layer.state_dict().keys()))
    layer.weight.sum().backward()
    print(layer.parametrizations.weight.original.grad)
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    print(layer, layer.weight)
finally:
    torch.set_default_dtype(torch.float32)
"""

HOOKS = """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
acts = {}
def fwd_hook(name):
    def hook(m, inp, out):
        acts[name] = out.detach()
        print('fwd', name, type(inp).__name__, len(inp), out.shape)
    return hook
def pre_hook(m, inp):
    print('pre', type(m).__name__, inp[0].shape)
    return (inp[0] * 2,)
def bwd_hook(m, gin, gout):
    print('bwd', type(m).__name__, [None if g is None else tuple(g.shape) for g in gin],
          [tuple(g.shape) for g in gout])
hs = [model[0].register_forward_hook(fwd_hook('l0')), model[2].register_forward_pre_hook(pre_hook),
      model[0].register_full_backward_hook(bwd_hook),
      model[2].register_full_backward_pre_hook(lambda m, go: print('bwdpre', go[0].shape)),
      model.register_forward_hook(lambda m, a, kw, out: print('kw', a[0].shape, kw), with_kwargs=True)]
x = torch.randn(5, 4, requires_grad=True)
out = model(x); out.sum().backward()
print(acts['l0'], x.grad)
for h in hs: h.remove()
print(model(x).shape, len(model[0]._forward_hooks), len(model._forward_hooks))
t = torch.randn(3, requires_grad=True)
ht = t.register_hook(lambda g: g * 10)
(t * 2).sum().backward()
print(t.grad)
ht.remove()
t.grad = None
t.register_post_accumulate_grad_hook(lambda p: print('post acc', p.grad))
(t * 3).sum().backward()
h = nn.modules.module.register_module_forward_hook(lambda mod, i, o: print('global', type(mod).__name__))
model[0](torch.randn(1, 4)); h.remove(); model[0](torch.randn(1, 4))
"""


@pytest.mark.parametrize("src", [LEGENDRE, NN_OPTIM, DYNAMIC, FGSM, CHAR_RNN, TRANSFER, PRUNE,
                                 PARAMETRIZE, HOOKS],
                         ids=["legendre", "nn_optim", "dynamic_net", "fgsm", "char_rnn",
                              "transfer", "prune", "parametrize", "hooks"])
def test_tutorial_program(src):
    same_printed(src)


def test_spatial_transformer_gradients():
    """grid_sample's input and theta gradients in training, to the bit."""
    same_printed(STN)


def _layout(lib, g, lay):
    if lay == 1:  # only W strided
        return g.transpose(1, 2).contiguous().transpose(1, 2)
    if lay == 2:  # channels first ([N, 2, H, W] made NHWC): flattened H x W, per coordinate
        return g.permute(0, 3, 1, 2).contiguous().permute(0, 2, 3, 1)
    if lay == 3:  # [N, 2, W, H]: W contiguous but not H x W, by row
        return g.permute(0, 3, 2, 1).contiguous().permute(0, 3, 2, 1)
    return g


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape,lay", [((2, 3, 7, 7), 0), ((1, 2, 5, 23), 0), ((2, 3, 6, 11), 1),
                                       ((2, 3, 6, 11), 2), ((2, 3, 6, 11), 3),
                                       ((3, 2, 1, 13), 2)])
def test_grid_sample_backward_bitwise(dtype, mode, padding, align_corners, shape, lay):
    """The 2-D input gradient adds in PyTorch's order (vectors of points, corners, lanes) and
    the grid gradient rounds as its fused kernel; both equal to the bit."""
    rs = np.random.RandomState(0)
    x = rs.randn(*shape[:2], 9, 9).astype(dtype)
    g0 = rs.uniform(-1.2, 1.2, size=(shape[0], shape[2], shape[3], 2)).astype(dtype)
    w = rs.randn(*shape).astype(dtype)
    grads = []
    for lib in (torch, ember):
        xi = lib.tensor(x, requires_grad=True)
        gi = lib.tensor(g0, requires_grad=True)
        out = lib.nn.functional.grid_sample(xi, _layout(lib, gi, lay), mode=mode,
                                            padding_mode=padding, align_corners=align_corners)
        (out * lib.tensor(w)).sum().backward()
        grads.append((out.detach().numpy(), xi.grad.numpy(), gi.grad.numpy()))
    for t, e in zip(*grads):
        np.testing.assert_array_equal(e, t)
