"""pytorch/examples programs, short versions (a few steps on small random data, fixed seeds),
run under PyTorch and under Ember with what each prints compared: siamese_network (pairs,
BCELoss, Adadelta, StepLR), super_resolution (PixelShuffle, orthogonal init with
calculate_gain), fast_neural_style (gram matrix, affine InstanceNorm2d, ReflectionPad2d,
a resize-conv), mnist_rnn, regression (polynomial fit, poly_desc's formatted text),
vision_transformer (the example's unfold patches and MultiheadAttention; a timm-style one
with a conv patch embedding and a hand-written attention), mnist_hogwild's single-process
training, mnist_forward_forward, gcn (a hand-built normalised adjacency with
sparse.mm; the example's own: sparse features, ``diag(...).to_sparse() @ adj @ ...``, spmm) and
gat (masked attention over a dense adjacency made from a sparse one). (reinforce, actor_critic,
time_sequence_prediction and language_translation run in the s21/s22 e2e and s28 classics
files.) ``dense @ sparse`` in every spelling (operator, functions, methods): a dense product
whose gradient to the sparse operand is dense, as PyTorch's.

Also the sparse constructors' once-per-program warnings (implicitly disabled invariant
checks; beta support of compressed layouts) and ``torch.sparse.check_sparse_tensor_invariants``
(off by default; switch, context manager, decorator), in fresh interpreters.

Floats to rtol 1e-6: Ember's matrix products are OpenBLAS's, PyTorch's MKL's, whose
summation orders differ in the last bit for some small shapes; regression runs in float64,
as ``x ** 4`` is SLEEF's powf in PyTorch (float32 transcendental functions are NumPy's).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from _programs import raises_same, run, run64

import ember

torch = pytest.importorskip("torch")


def _run(program) -> None:
    run(program, torch, rtol=1e-6, atol=1e-6)


def siamese_bce(L):
    T, nn, _F = L.torch, L.nn, L.F
    T.manual_seed(1)

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.resnet = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
            self.fc_in_features = 4
            self.fc = nn.Sequential(nn.Linear(self.fc_in_features * 2, 8), nn.ReLU(inplace=True), nn.Linear(8, 1))
            self.sigmoid = nn.Sigmoid()
            self.resnet.apply(self.init_weights)
            self.fc.apply(self.init_weights)

        def init_weights(self, m):
            if isinstance(m, nn.Linear):
                T.nn.init.xavier_uniform_(m.weight)
                m.bias.data.fill_(0.01)

        def forward_once(self, x):
            output = self.resnet(x)
            return output.view(output.size()[0], -1)

        def forward(self, input1, input2):
            output1 = self.forward_once(input1)
            output2 = self.forward_once(input2)
            output = T.cat((output1, output2), 1)
            output = self.fc(output)
            return self.sigmoid(output)

    model = SiameseNetwork()
    optimizer = L.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = L.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    criterion = nn.BCELoss()
    a, b = T.randn(8, 1, 8, 8), T.randn(8, 1, 8, 8)
    targets = T.randint(0, 2, (8,)).float()
    out = []
    for _epoch in range(3):
        model.train()
        for i in range(2):
            optimizer.zero_grad()
            outputs = model(a[i*4:(i+1)*4], b[i*4:(i+1)*4]).squeeze()
            loss = criterion(outputs, targets[i*4:(i+1)*4])
            loss.backward()
            optimizer.step()
            out.append(loss.item())
        model.eval()
        test_loss = 0
        correct = 0
        with T.no_grad():
            outputs = model(a, b).squeeze()
            test_loss += criterion(outputs, targets).sum().item()
            pred = T.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
        out += [test_loss, correct, str(pred.dtype), scheduler.get_last_lr()]
        scheduler.step()
    return out


def super_res(L):
    T, nn, _F = L.torch, L.nn, L.F
    init = nn.init
    T.manual_seed(123)

    class Net(nn.Module):
        def __init__(self, upscale_factor):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
            self.conv4 = nn.Conv2d(4, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self._initialize_weights()

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            x = self.pixel_shuffle(self.conv4(x))
            return x

        def _initialize_weights(self):
            init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
            init.orthogonal_(self.conv4.weight)

    model = Net(upscale_factor=2)
    criterion = nn.MSELoss()
    optimizer = L.optim.Adam(model.parameters(), lr=0.01)
    inp = T.rand(2, 1, 6, 6)
    target = T.rand(2, 1, 12, 12)
    out = [model.conv4.weight[0, 0]]
    for _it in range(3):
        optimizer.zero_grad()
        loss = criterion(model(inp), target)
        loss.backward()
        optimizer.step()
        mse = criterion(model(inp), target)
        psnr = 10 * math.log10(1 / mse.item())
        out += [loss.item(), psnr]
    out.append(nn.PixelUnshuffle(2)(target).shape)
    out.append(init.calculate_gain('leaky_relu', 0.2))
    out.append(init.calculate_gain('tanh'))
    out.append(init.calculate_gain('selu'))
    return out


def fast_style(L):
    T, nn, _F = L.torch, L.nn, L.F
    T.manual_seed(0)

    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super().__init__()
            reflection_padding = kernel_size // 2
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = nn.InstanceNorm2d(channels, affine=True)
            self.relu = nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class UpsampleConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super().__init__()
            self.upsample = upsample
            reflection_padding = kernel_size // 2
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            x_in = x
            if self.upsample:
                x_in = nn.functional.interpolate(x_in, mode='nearest', scale_factor=self.upsample)
            out = self.reflection_pad(x_in)
            return self.conv2d(out)

    class TransformerNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = ConvLayer(3, 4, kernel_size=9, stride=1)
            self.in1 = nn.InstanceNorm2d(4, affine=True)
            self.conv2 = ConvLayer(4, 8, kernel_size=3, stride=2)
            self.in2 = nn.InstanceNorm2d(8, affine=True)
            self.res1 = ResidualBlock(8)
            self.deconv1 = UpsampleConvLayer(8, 4, kernel_size=3, stride=1, upsample=2)
            self.in4 = nn.InstanceNorm2d(4, affine=True)
            self.deconv3 = ConvLayer(4, 3, kernel_size=9, stride=1)
            self.relu = nn.ReLU()

        def forward(self, X):
            y = self.relu(self.in1(self.conv1(X)))
            y = self.relu(self.in2(self.conv2(y)))
            y = self.res1(y)
            y = self.relu(self.in4(self.deconv1(y)))
            return self.deconv3(y)

    def gram_matrix(y):
        (b, ch, h, w) = y.size()
        features = y.view(b, ch, w * h)
        features_t = features.transpose(1, 2)
        return features.bmm(features_t) / (ch * h * w)

    def normalize_batch(batch):
        mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
        std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
        batch = batch.div_(255.0)
        return (batch - mean) / std

    transformer = TransformerNet()
    optimizer = L.optim.Adam(transformer.parameters(), 1e-3)
    mse_loss = nn.MSELoss()
    feat = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    for p in feat.parameters():
        p.requires_grad_(False)
    style = T.rand(1, 3, 8, 8) * 255
    gram_style = [gram_matrix(feat(normalize_batch(style.clone())))]
    x = T.rand(2, 3, 8, 8) * 255
    out = []
    for _it in range(3):
        n_batch = len(x)
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        xn = normalize_batch(x.clone())
        features_y = feat(y)
        features_x = feat(xn)
        content_loss = 1e5 * mse_loss(features_y, features_x)
        style_loss = 0.
        for ft_y, gm_s in zip([features_y], gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= 1e10
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        out += [content_loss.item(), style_loss.item()]
    with T.no_grad():
        o = transformer(x[:1]).clamp(0, 255)
    img = o[0].clone().clamp(0, 255).numpy()
    img = img.transpose(1, 2, 0).astype("uint8")
    out += [img.tolist(), transformer.in1.weight, transformer.in1.running_mean]
    return out


def mnist_rnn(L):
    T, nn, F = L.torch, L.nn, L.F
    T.manual_seed(1)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=8, hidden_size=16, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(16)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout2d(0.5)
            self.fc1 = nn.Linear(16, 12)
            self.fc2 = nn.Linear(12, 10)

        def forward(self, input):
            input = input.reshape(-1, 8, 8)
            output, hidden = self.rnn(input)
            output = output[:, -1, :]
            output = self.batchnorm(output)
            output = self.dropout1(output)
            output = self.fc1(output)
            output = F.relu(output)
            output = self.dropout2(output)
            output = self.fc2(output)
            output = F.log_softmax(output, dim=1)
            return output

    model = Net()
    optimizer = L.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = L.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    data = T.randn(12, 1, 8, 8)
    target = T.randint(0, 10, (12,))
    out = []
    for _epoch in range(2):
        model.train()
        for b in range(3):
            d, t = data[b*4:(b+1)*4], target[b*4:(b+1)*4]
            optimizer.zero_grad()
            output = model(d)
            loss = F.nll_loss(output, t)
            loss.backward()
            optimizer.step()
            out.append(loss.item())
        model.eval()
        with T.no_grad():
            output = model(data)
            test_loss = F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct = pred.eq(target.view_as(pred)).sum().item()
        out += [test_loss, correct, 100. * correct / len(data)]
        scheduler.step()
    return out


def regression(L):
    T, _nn, F = L.torch, L.nn, L.F
    T.manual_seed(42)
    POLY_DEGREE = 4
    W_target = T.randn(POLY_DEGREE, 1) * 5
    b_target = T.randn(1) * 5

    def make_features(x):
        x = x.unsqueeze(1)
        return T.cat([x ** i for i in range(1, POLY_DEGREE+1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        result = 'y = '
        for i, w in enumerate(W):
            result += f'{w:+.2f} x^{i + 1} '
        result += f'{b[0]:+.2f}'
        return result

    def get_batch(batch_size=32):
        random = T.randn(batch_size)
        x = make_features(random)
        y = f(x)
        return x, y

    fc = T.nn.Linear(W_target.size(0), 1)
    out = []
    for batch_idx in range(1, 30):  # noqa: B007 (printed after the loop)
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        out.append(loss)
        if loss < 1e-3:
            break
    out.append(f'Loss: {loss:.6f} after {batch_idx} batches')
    out.append('==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
    out.append('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
    return out


def vit(L):
    T, nn, _F = L.torch, L.nn, L.F
    T.manual_seed(0)

    class PatchEmbed(nn.Module):
        def __init__(self, img_size, patch_size, in_chans, embed_dim):
            super().__init__()
            self.n_patches = (img_size // patch_size) ** 2
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        def forward(self, x):
            x = self.proj(x)
            x = x.flatten(2)
            return x.transpose(1, 2)

    class Attention(nn.Module):
        def __init__(self, dim, n_heads=2, qkv_bias=True, attn_p=0., proj_p=0.):
            super().__init__()
            self.n_heads = n_heads
            self.dim = dim
            self.head_dim = dim // n_heads
            self.scale = self.head_dim ** -0.5
            self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
            self.attn_drop = nn.Dropout(attn_p)
            self.proj = nn.Linear(dim, dim)
            self.proj_drop = nn.Dropout(proj_p)
        def forward(self, x):
            n_samples, n_tokens, dim = x.shape
            qkv = self.qkv(x)
            qkv = qkv.reshape(n_samples, n_tokens, 3, self.n_heads, self.head_dim)
            qkv = qkv.permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            k_t = k.transpose(-2, -1)
            dp = (q @ k_t) * self.scale
            attn = dp.softmax(dim=-1)
            attn = self.attn_drop(attn)
            weighted_avg = attn @ v
            weighted_avg = weighted_avg.transpose(1, 2)
            weighted_avg = weighted_avg.flatten(2)
            x = self.proj(weighted_avg)
            return self.proj_drop(x)

    class Block(nn.Module):
        def __init__(self, dim, n_heads):
            super().__init__()
            self.norm1 = nn.LayerNorm(dim, eps=1e-6)
            self.attn = Attention(dim, n_heads=n_heads)
            self.norm2 = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        def forward(self, x):
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    class ViT(nn.Module):
        def __init__(self, img_size=8, patch_size=4, in_chans=3, n_classes=5, embed_dim=16, depth=2, n_heads=2):
            super().__init__()
            self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim)
            self.cls_token = nn.Parameter(T.zeros(1, 1, embed_dim))
            self.pos_embed = nn.Parameter(T.zeros(1, 1 + self.patch_embed.n_patches, embed_dim))
            nn.init.trunc_normal_(self.pos_embed, std=.02)
            nn.init.trunc_normal_(self.cls_token, std=.02)
            self.pos_drop = nn.Dropout(p=0.)
            self.blocks = nn.ModuleList([Block(embed_dim, n_heads) for _ in range(depth)])
            self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
            self.head = nn.Linear(embed_dim, n_classes)
        def forward(self, x):
            n_samples = x.shape[0]
            x = self.patch_embed(x)
            cls_token = self.cls_token.expand(n_samples, -1, -1)
            x = T.cat((cls_token, x), dim=1)
            x = x + self.pos_embed
            x = self.pos_drop(x)
            for block in self.blocks:
                x = block(x)
            x = self.norm(x)
            cls_token_final = x[:, 0]
            return self.head(cls_token_final)

    model = ViT()
    opt = L.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    sched = L.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = T.randn(4, 3, 8, 8)
    y = T.randint(0, 5, (4,))
    out = [sum(p.numel() for p in model.parameters() if p.requires_grad), model.pos_embed[0, :3]]
    for _it in range(3):
        opt.zero_grad()
        logits = model(x)
        loss = crit(logits, y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        acc = (logits.argmax(1) == y).float().mean()
        out += [loss.item(), acc.item(), sched.get_last_lr()[0]]
    return out


def hogwild(L):
    T, nn, F = L.torch, L.nn, L.F
    T.manual_seed(1)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=5)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 10)
        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 8)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    model = Net()
    model.share_memory()
    ds = L.data.TensorDataset(T.randn(12, 1, 16, 16), T.randint(0, 10, (12,)))
    T.manual_seed(1 + 0)
    loader = L.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=0)
    optimizer = L.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    out = []
    for epoch in range(1, 3):
        model.train()
        pid = 0
        for batch_idx, (data, target) in enumerate(loader):
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            out.append(f'{pid}\tTrain Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)} ({100. * batch_idx / len(loader):.0f}%)]\tLoss: {loss.item():.6f}')
    model.eval()
    test_loss = 0
    correct = 0
    with T.no_grad():
        for data, target in L.data.DataLoader(ds, batch_size=6):
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.max(1)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(ds)
    out.append(f'\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(ds)} ({100. * correct / len(ds):.0f}%)\n')
    out.append(model.conv1.weight.is_shared())
    return out


def ff(L):
    T, nn, _F = L.torch, L.nn, L.F
    T.manual_seed(1)

    def overlay_y_on_x(x, y):
        x_ = x.clone()
        x_[:, :10] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    class Layer(nn.Linear):
        def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
            super().__init__(in_features, out_features, bias, device, dtype)
            self.relu = T.nn.ReLU()
            self.opt = L.optim.Adam(self.parameters(), lr=0.03)
            self.threshold = 2.0
            self.num_epochs = 5
        def forward(self, x):
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(T.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))
        def train(self, x_pos, x_neg):
            losses = []
            for _i in range(self.num_epochs):
                g_pos = self.forward(x_pos).pow(2).mean(1)
                g_neg = self.forward(x_neg).pow(2).mean(1)
                loss = T.log(1 + T.exp(T.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                losses.append(loss.item())
            return self.forward(x_pos).detach(), self.forward(x_neg).detach(), losses

    class Net(T.nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.layers = [Layer(dims[d], dims[d + 1]) for d in range(len(dims) - 1)]
        def predict(self, x):
            goodness_per_label = []
            for label in range(10):
                h = overlay_y_on_x(x, label)
                goodness = []
                for layer in self.layers:
                    h = layer(h)
                    goodness += [h.pow(2).mean(1)]
                goodness_per_label += [sum(goodness).unsqueeze(1)]
            goodness_per_label = T.cat(goodness_per_label, 1)
            return goodness_per_label.argmax(1)
        def train(self, x_pos, x_neg):
            h_pos, h_neg = x_pos, x_neg
            allL = []
            for _i, layer in enumerate(self.layers):
                h_pos, h_neg, ls = layer.train(h_pos, h_neg)
                allL += ls
            return allL

    net = Net([20, 16, 16])
    x = T.rand(8, 20)
    y = T.randint(0, 10, (8,))
    x_pos = overlay_y_on_x(x, y)
    rnd = T.randperm(x.size(0))
    x_neg = overlay_y_on_x(x, y[rnd])
    out = net.train(x_pos, x_neg)
    out.append(1.0 - net.predict(x).eq(y).float().mean().item())
    return out


def gcn(L):
    T, nn, F = L.torch, L.nn, L.F
    T.manual_seed(0)
    n = 7
    edges = T.tensor([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 0], [1, 4]])
    idx = T.cat([edges.t(), edges.flip(1).t(), T.arange(n).repeat(2, 1)], 1)
    vals = T.ones(idx.shape[1])
    adj = T.sparse_coo_tensor(idx, vals, (n, n)).coalesce()
    deg = T.sparse.sum(adj, dim=1).to_dense()
    d_inv = deg.pow(-0.5)
    d_inv[T.isinf(d_inv)] = 0.
    r = adj.indices()
    norm_vals = d_inv[r[0]] * adj.values() * d_inv[r[1]]
    adj_n = T.sparse_coo_tensor(r, norm_vals, (n, n))

    class GraphConv(nn.Module):
        def __init__(self, in_features, out_features, use_bias=True):
            super().__init__()
            self.weight = nn.Parameter(T.FloatTensor(in_features, out_features))
            self.bias = nn.Parameter(T.FloatTensor(out_features)) if use_bias else None
            self.initialize_parameters()
        def initialize_parameters(self):
            nn.init.xavier_uniform_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)
        def forward(self, input, adj):
            x = input @ self.weight
            x = T.sparse.mm(adj, x)
            if self.bias is not None:
                x += self.bias
            return x

    class GCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.gc1 = GraphConv(5, 8)
            self.gc2 = GraphConv(8, 3)
            self.dropout = nn.Dropout(0.5)
        def forward(self, input, adj):
            x = self.dropout(input)
            x = F.relu(self.gc1(x, adj))
            x = self.dropout(x)
            x = self.gc2(x, adj)
            return F.log_softmax(x, dim=1)

    model = GCN()
    feats = T.rand(n, 5)
    feats = feats / feats.sum(1, keepdim=True)
    labels = T.randint(0, 3, (n,))
    optimizer = L.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    criterion = nn.NLLLoss()
    out = [adj_n.to_dense()]
    idx_train = T.arange(0, 4)
    for _epoch in range(4):
        model.train()
        optimizer.zero_grad()
        output = model(feats, adj_n)
        loss = criterion(output[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        model.eval()
        with T.no_grad():
            output = model(feats, adj_n)
            preds = output.argmax(dim=1)
            acc = T.eq(preds[4:], labels[4:]).sum().item() / 3
        out += [loss.item(), acc, T.spmm(adj_n, feats).sum().item()]
    return out


def vit_examples(L):
    """vision_transformer/main.py: patches by two ``unfold``s, a class token concatenated and
    a positional embedding added in place, nn.MultiheadAttention blocks, Adam with decay."""
    T, nn = L.torch, L.nn

    class PatchExtractor(nn.Module):
        def __init__(self, patch_size=16):
            super().__init__()
            self.patch_size = patch_size

        def forward(self, input_data):
            batch_size, channels, height, width = input_data.size()
            num_patches = (height // self.patch_size) * (width // self.patch_size)
            return input_data.unfold(2, self.patch_size, self.patch_size). \
                unfold(3, self.patch_size, self.patch_size). \
                permute(0, 2, 3, 1, 4, 5).contiguous().view(batch_size, num_patches, -1)

    class InputEmbedding(nn.Module):
        def __init__(self, args):
            super().__init__()
            self.patch_size = args.patch_size
            self.device = T.device("cpu")
            input_size = args.patch_size * args.patch_size * args.n_channels
            self.LinearProjection = nn.Linear(input_size, args.latent_size)
            self.class_token = nn.Parameter(
                T.randn(args.batch_size, 1, args.latent_size).to(self.device))
            self.pos_embedding = nn.Parameter(
                T.randn(args.batch_size, 1, args.latent_size).to(self.device))

        def forward(self, input_data):
            patches = PatchExtractor(patch_size=self.patch_size)(input_data.to(self.device))
            linear_projection = self.LinearProjection(patches).to(self.device)
            b, n, _ = linear_projection.shape
            linear_projection = T.cat((self.class_token, linear_projection), dim=1)
            linear_projection += self.pos_embedding[:, :n + 1, :]
            return linear_projection

    class EncoderBlock(nn.Module):
        def __init__(self, args):
            super().__init__()
            self.norm = nn.LayerNorm(args.latent_size)
            self.attention = nn.MultiheadAttention(args.latent_size, args.num_heads,
                                                   dropout=args.dropout)
            self.enc_MLP = nn.Sequential(
                nn.Linear(args.latent_size, args.latent_size * 4), nn.GELU(),
                nn.Dropout(args.dropout), nn.Linear(args.latent_size * 4, args.latent_size),
                nn.Dropout(args.dropout))

        def forward(self, emb_patches):
            first_norm = self.norm(emb_patches)
            first_added = self.attention(first_norm, first_norm, first_norm)[0] + emb_patches
            return self.enc_MLP(self.norm(first_added)) + first_added

    class ViT(nn.Module):
        def __init__(self, args):
            super().__init__()
            self.embedding = InputEmbedding(args)
            self.encoders = nn.ModuleList([EncoderBlock(args) for _ in range(args.num_encoders)])
            self.MLPHead = nn.Sequential(nn.LayerNorm(args.latent_size),
                                         nn.Linear(args.latent_size, args.latent_size),
                                         nn.Linear(args.latent_size, args.num_classes))

        def forward(self, test_input):
            enc_output = self.embedding(test_input)
            for enc_layer in self.encoders:
                enc_output = enc_layer(enc_output)
            return self.MLPHead(enc_output[:, 0])

    T.manual_seed(0)
    args = SimpleNamespace(patch_size=4, n_channels=3, latent_size=16, batch_size=4,
                           num_heads=2, num_encoders=2, dropout=0.1, num_classes=10)
    model = ViT(args)
    optimizer = L.optim.Adam(model.parameters(), lr=1e-2, weight_decay=3e-2)
    criterion = nn.CrossEntropyLoss()
    images, labels = T.rand(8, 3, 8, 8), T.randint(0, 10, (8,))
    out = [str(model), PatchExtractor(4)(images).shape]
    best_valid_loss = np.inf
    for _epoch in range(2):
        model.train()
        total_loss = 0.0
        for t in range(2):
            optimizer.zero_grad()
            loss = criterion(model(images[t * 4:(t + 1) * 4]), labels[t * 4:(t + 1) * 4])
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            out.append(float(total_loss / (t + 1)))
        model.eval()
        with T.no_grad():
            val = criterion(model(images[:4]), labels[:4]).item()
        if val < best_valid_loss:
            best_valid_loss = val
        out.append(best_valid_loss)
    return out


def gat(L):
    T, nn, F = L.torch, L.nn, L.F

    class GraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, n_heads, concat=False, dropout=0.4, leaky_relu_slope=0.2):
            super().__init__()
            self.n_heads = n_heads
            self.concat = concat
            self.dropout = dropout
            if concat:
                self.out_features = out_features
                self.n_hidden = out_features // n_heads
            else:
                self.n_hidden = out_features
            self.W = nn.Parameter(T.empty(size=(in_features, self.n_hidden * n_heads)))
            self.a = nn.Parameter(T.empty(size=(n_heads, 2 * self.n_hidden, 1)))
            self.leakyrelu = nn.LeakyReLU(leaky_relu_slope)
            self.softmax = nn.Softmax(dim=1)
            nn.init.xavier_normal_(self.W)
            nn.init.xavier_normal_(self.a)

        def _get_attention_scores(self, h_transformed):
            source_scores = T.matmul(h_transformed, self.a[:, :self.n_hidden, :])
            target_scores = T.matmul(h_transformed, self.a[:, self.n_hidden:, :])
            e = source_scores + target_scores.mT
            return self.leakyrelu(e)

        def forward(self, h, adj_mat):
            n_nodes = h.shape[0]
            h_transformed = T.mm(h, self.W)
            h_transformed = F.dropout(h_transformed, self.dropout, training=self.training)
            h_transformed = h_transformed.view(n_nodes, self.n_heads, self.n_hidden).permute(1, 0, 2)
            e = self._get_attention_scores(h_transformed)
            connectivity_mask = -9e16 * T.ones_like(e)
            e = T.where(adj_mat > 0, e, connectivity_mask)
            attention = F.softmax(e, dim=-1)
            attention = F.dropout(attention, self.dropout, training=self.training)
            h_prime = T.matmul(attention, h_transformed)
            if self.concat:
                h_prime = h_prime.permute(1, 0, 2).contiguous().view(n_nodes, self.out_features)
            else:
                h_prime = h_prime.mean(dim=0)
            return h_prime

    class GAT(nn.Module):
        def __init__(self, in_features, n_hidden, n_heads, num_classes, concat=False, dropout=0.4, leaky_relu_slope=0.2):
            super().__init__()
            self.gat1 = GraphAttentionLayer(in_features, n_hidden, n_heads, concat, dropout, leaky_relu_slope)
            self.gat2 = GraphAttentionLayer(n_hidden, num_classes, 1, False, dropout, leaky_relu_slope)
        def forward(self, input_tensor, adj_mat):
            x = self.gat1(input_tensor, adj_mat)
            x = F.elu(x)
            x = self.gat2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    T.manual_seed(13)
    V, nf = 10, 12
    content = (np.arange(V * nf).reshape(V, nf) * 7 % 5 == 0).astype(np.int32)
    content[3] = 0
    features = T.FloatTensor(content)
    scale_vector = T.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float('inf')] = 0
    scale_vector = T.diag(scale_vector).to_sparse()
    features = scale_vector @ features
    labels = T.LongTensor(np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]))
    edges = np.array([[0, 1], [1, 2], [2, 3], [4, 5], [5, 6], [7, 8], [8, 9], [9, 0], [3, 7]], dtype=np.int32)
    E = edges.shape[0]
    adj_mat = T.sparse_coo_tensor(edges.T, T.ones(E), (V, V), dtype=T.int64)
    out = [str(adj_mat.dtype), str(features.layout), features]
    adj_mat = T.eye(V) + adj_mat
    out += [str(adj_mat.dtype), str(adj_mat.layout), adj_mat]
    idx = T.randperm(len(labels))
    idx_val, idx_train = idx[3:5], idx[5:]
    for concat in (False, True):
        net = GAT(nf, 8, 2, labels.max().item() + 1, concat=concat, dropout=0.6)
        optimizer = L.optim.Adam(net.parameters(), lr=0.005, weight_decay=5e-4)
        criterion = nn.NLLLoss()
        for epoch in range(3):
            net.train()
            optimizer.zero_grad()
            output = net(features, adj_mat)
            loss = criterion(output[idx_train], labels[idx_train])
            loss.backward()
            optimizer.step()
            net.eval()
            with T.no_grad():
                o = net(features, adj_mat)[idx_val]
                acc = (o.argmax(dim=1) == labels[idx_val]).float().sum() / len(labels[idx_val])
            out.append(f'Epoch: {epoch:04d} loss_train: {loss.item():.4f} acc_val: {acc.item():.4f}')
            out.append(loss.item())
    return out


def gcn_examples(L):
    T, nn, F = L.torch, L.nn, L.F

    class GraphConv(nn.Module):
        def __init__(self, input_dim, output_dim, use_bias=False):
            super().__init__()
            self.kernel = nn.Parameter(T.Tensor(input_dim, output_dim))
            nn.init.xavier_normal_(self.kernel)
            self.bias = None
            if use_bias:
                self.bias = nn.Parameter(T.Tensor(output_dim))
                nn.init.zeros_(self.bias)

        def forward(self, input_tensor, adj_mat):
            support = T.mm(input_tensor, self.kernel)
            output = T.spmm(adj_mat, support)
            if self.bias is not None:
                output = output + self.bias
            return output

    class GCN(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
            super().__init__()
            self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
            self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input_tensor, adj_mat):
            x = self.gc1(input_tensor, adj_mat)
            x = F.relu(x)
            x = self.dropout(x)
            x = self.gc2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    T.manual_seed(42)
    V, nf = 10, 12
    content = (np.arange(V * nf).reshape(V, nf) * 7 % 5 == 0).astype(np.int32)
    content[3] = 0
    features = T.FloatTensor(content)
    scale_vector = T.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float('inf')] = 0
    scale_vector = T.diag(scale_vector).to_sparse()
    features = scale_vector @ features
    labels = T.LongTensor(np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]))
    edges = np.array([[0, 1], [1, 2], [2, 3], [4, 5], [5, 6], [7, 8], [8, 9], [9, 0], [3, 7]],
                     dtype=np.int32)
    adj_mat = T.sparse_coo_tensor(edges.T, T.ones(edges.shape[0]), (V, V), dtype=T.int64)
    adj_mat = T.eye(V) + adj_mat
    degree_mat = T.sum(adj_mat, dim=1)
    degree_mat = T.sqrt(1 / degree_mat)
    degree_mat[degree_mat == float('inf')] = 0
    degree_mat = T.diag(degree_mat).to_sparse()
    adj_mat = degree_mat @ adj_mat @ degree_mat
    out = [str(adj_mat.layout), adj_mat]
    features, adj_mat = features.to_sparse(), adj_mat.to_sparse()
    out += [str(features.layout), features.to_dense(), adj_mat._nnz()]
    idx = T.randperm(len(labels))
    idx_val, idx_train = idx[3:5], idx[5:]
    for use_bias in (False, True):
        gcn = GCN(nf, 8, labels.max().item() + 1, use_bias, 0.5)
        optimizer = L.optim.Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
        criterion = nn.NLLLoss()
        for epoch in range(3):
            gcn.train()
            optimizer.zero_grad()
            output = gcn(features, adj_mat)
            loss = criterion(output[idx_train], labels[idx_train])
            loss.backward()
            optimizer.step()
            gcn.eval()
            with T.no_grad():
                o = gcn(features, adj_mat)[idx_val]
                acc = (o.argmax(dim=1) == labels[idx_val]).float().sum() / len(labels[idx_val])
            out.append(f'Epoch: {epoch:04d} loss_train: {loss.item():.4f} acc_val: {acc.item():.4f}')
            out += [loss.item(), gcn.gc1.kernel.grad]
    return out



def dense_at_sparse(L):
    """``dense @ sparse`` in every spelling: a dense product, MmBackward0, and a dense
    (unmasked) gradient for the sparse operand."""
    T = L.torch
    d = T.arange(9.).view(3, 3)
    out = []
    spellings = [lambda a, s: a @ s, lambda a, s: T.mm(a, s), lambda a, s: T.matmul(a, s),
                 lambda a, s: a.mm(s), lambda a, s: a.matmul(s), lambda a, s: T.spmm(a, s),
                 lambda a, s: a[0] @ s, lambda a, s: T.matmul(a[0], s)]
    for f in spellings:
        s = T.diag(T.tensor([1., 2., 3.])).to_sparse().requires_grad_()
        a = d.clone().requires_grad_()
        r = f(a, s)
        (r * T.arange(1., 1. + r.numel()).view(r.shape)).sum().backward()
        out += [r, r.grad_fn.name(), str(r.layout), str(s.grad.layout), s.grad, a.grad]
    return out


def test_siamese_network_bce_steplr_matches_torch() -> None:
    _run(siamese_bce)


def test_super_resolution_matches_torch() -> None:
    _run(super_res)


def test_fast_neural_style_matches_torch() -> None:
    _run(fast_style)


def test_mnist_rnn_matches_torch() -> None:
    _run(mnist_rnn)


def test_regression_matches_torch() -> None:
    run64(regression, torch)


def test_vision_transformer_example_matches_torch() -> None:
    _run(vit_examples)


def test_vision_transformer_conv_patches_matches_torch() -> None:
    _run(vit)


def test_mnist_hogwild_single_process_matches_torch() -> None:
    _run(hogwild)


def test_mnist_forward_forward_matches_torch() -> None:
    _run(ff)


def test_gcn_sparse_adjacency_matches_torch() -> None:
    _run(gcn)


def test_gat_matches_torch() -> None:
    _run(gat)


def test_gcn_example_sparse_features_and_renormalisation_matches_torch() -> None:
    _run(gcn_examples)


def test_dense_at_sparse_matches_torch() -> None:
    _run(dense_at_sparse)


def test_number_at_sparse_error_matches_torch() -> None:
    raises_same(lambda: 2 @ torch.eye(2).to_sparse(), lambda: 2 @ ember.eye(2).to_sparse())


def _fresh(src: str, lib: str) -> str:
    """What ``src`` (written with ``torch``) prints, warnings included, in a fresh interpreter
    with ``torch`` spelled ``lib``; read back with ``torch`` spelling."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = subprocess.run([sys.executable, "-c", src.replace("torch", lib)], capture_output=True,
                         text=True, env=env, timeout=300)
    return re.sub(r"File \".*\"", "File", res.stdout + res.stderr).replace(lib, "torch")


def _same_fresh(src: str) -> None:
    assert _fresh(src, "ember") == _fresh(src, "torch")


_WARNS = """
import sys, warnings
warnings.simplefilter("always")
warnings.showwarning = lambda m, c, f, n, *a: print(c.__name__, n, m)
import torch
"""


def test_sparse_invariant_warning_once_where_torch_warns() -> None:
    _same_fresh(_WARNS + """
x = torch.eye(3).to_sparse()
a = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 2]]), torch.tensor([1., 2.]), (3, 3),
                            check_invariants=False)
print("explicit: no warning yet")
b = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 2]]), torch.tensor([1., 2.]), (3, 3))
c = torch.sparse_coo_tensor(torch.tensor([[0], [1]]), torch.tensor([1.]))
print(torch.sparse.mm(b, torch.ones(3, 2)))
print(torch.sparse.check_sparse_tensor_invariants.is_enabled())
""")


def test_sparse_invariant_warning_silenced_by_opting_out() -> None:
    _same_fresh(_WARNS + """
torch.sparse.check_sparse_tensor_invariants.disable()
b = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 2]]), torch.tensor([1., 2.]), (3, 3))
c = torch.sparse_csr_tensor(torch.tensor([0, 1, 1]), torch.tensor([1]), torch.tensor([1.]))
print(torch.sparse.check_sparse_tensor_invariants.is_enabled())
""")


def test_sparse_compressed_beta_warning_once() -> None:
    _same_fresh(_WARNS + """
c = torch.sparse_csr_tensor(torch.tensor([0, 1, 1]), torch.tensor([1]), torch.tensor([1.]),
                            (2, 2))
d = torch.eye(2).to_sparse_csc()
e = torch.sparse_coo_tensor(size=(2, 2))
print(c.layout, d.layout, e.layout)
""")
    _same_fresh(_WARNS + """
d = torch.eye(2).to_sparse_bsc((1, 1))
c = torch.sparse_csr_tensor(torch.tensor([0, 1, 1]), torch.tensor([1]), torch.tensor([1.]),
                            (2, 2), check_invariants=False)
""")


def test_check_sparse_tensor_invariants_switch_context_decorator() -> None:
    _same_fresh(_WARNS + """
cs = torch.sparse.check_sparse_tensor_invariants
def csr():
    try:
        torch.sparse_csr_tensor(torch.tensor([0, 1, 1]), torch.tensor([7]), torch.tensor([1.]),
                                (2, 2))
        print("built")
    except RuntimeError as e:
        print("RuntimeError", e)
print(cs.is_enabled())
csr()
c = cs()
with c:
    print(cs.is_enabled())
    csr()
    try:
        with c:
            pass
    except RuntimeError as e:
        print("RuntimeError", e)
print(cs.is_enabled(), c.state, c.saved_state)
cs.enable()
print(cs.is_enabled())
with cs(enable=False):
    print(cs.is_enabled())
    csr()
print(cs.is_enabled())
cs.disable()
@cs()
def checked():
    csr()
    return cs.is_enabled()
print(checked(), cs.is_enabled())
""")
