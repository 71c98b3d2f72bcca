"""Session 29, lane G: modern architectures and diffusion-style training programs, each written
against PyTorch and run as written and again with ``torch`` -> ``ember`` rewritten; the two must
print the same text. Covered: a DDPM step (UNet with GroupNorm, SiLU, sinusoidal time
embeddings, self-attention on feature maps, ConvTranspose2d and Upsample + conv, cumprod noise
schedule, gather by timestep, EMA by lerp_/mul_/add_ under no_grad, ancestral sampling); a
ConvNeXt block (7x7 depthwise conv, channels-last LayerNorm via permute, layer scale, DropPath
by torch.rand + floor_); an MLP-Mixer; Swin window attention (roll, window partition,
relative position bias gathered by index, masked_fill -100, patch merging); EfficientNet's
MBConv with squeeze-excitation; MobileViT's patch unfolding/folding and F.unfold/F.fold; a
bfloat16 CPU autocast loop; cosine/sigmoid schedules, v-prediction with min-SNR weights and
DDIM sampling; ConvNeXt-V2's GRN and Swin-V2's cosine attention with a continuous position
bias. AdamW, OneCycleLR, cosine and sequential schedules, gradient clipping throughout.

Fixes guarded here: activation checkpointing (both variants) recomputes its segment in the
autocast state of the forward pass; ``set_autocast_enabled`` outside any region turns autocast
on; ``roll``'s out-of-range dim error has PyTorch's text; the deprecated per-device autocast
accessors warn with PyTorch's whole text; sums and means of a channels-last or transposed layout
over dims that lie together in memory, 2-norms over the dims last in memory, and
``F.normalize``'s norm follow PyTorch's summation order, bit for bit."""

from __future__ import annotations

import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")

DDPM_UNET_EMA = """\
import math, copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.n1 = nn.GroupNorm(4, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout)
        self.n2 = nn.GroupNorm(4, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
    def forward(self, x, te):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.t(F.silu(te))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)

class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(4, c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj = nn.Conv2d(c, c, 1)
    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        w = torch.einsum("bci,bcj->bij", q, k) * (C ** -0.5)
        w = w.softmax(dim=-1)
        h = torch.einsum("bij,bcj->bci", w, v).reshape(B, C, H, W)
        return x + self.proj(h)

class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tdim = 32
        self.temb = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 32))
        self.inc = nn.Conv2d(3, 8, 3, padding=1)
        self.d1 = ResBlock(8, 16, 32)
        self.down = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.mid = ResBlock(16, 16, 32)
        self.attn = Attn(16)
        self.up = nn.ConvTranspose2d(16, 16, 4, stride=2, padding=1)
        self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(16, 16, 3, padding=1))
        self.u1 = ResBlock(32, 8, 32)
        self.out = nn.Sequential(nn.GroupNorm(4, 8), nn.SiLU(), nn.Conv2d(8, 3, 3, padding=1))
    def forward(self, x, t):
        te = self.temb(timestep_embedding(t, 16))
        h0 = self.d1(self.inc(x), te)
        h = self.down(h0)
        h = self.attn(self.mid(h, te))
        h = self.up(h) + self.up2(h)
        h = self.u1(torch.cat([h, h0], 1), te)
        return self.out(h)

T = 100
betas = torch.linspace(1e-4, 0.02, T)
alphas = 1.0 - betas
abar = torch.cumprod(alphas, dim=0)
sqrt_ab = abar.sqrt()
sqrt_1mab = (1 - abar).sqrt()

def extract(a, t, shape):
    out = a.gather(-1, t)
    return out.reshape(t.shape[0], *((1,) * (len(shape) - 1)))

model = UNet()
ema = copy.deepcopy(model)
for p in ema.parameters():
    p.requires_grad_(False)
opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=6)
x0 = torch.randn(4, 3, 8, 8)
print("abar", abar[:3], abar[-1].item())
for step in range(6):
    t = torch.randint(0, T, (4,))
    noise = torch.randn_like(x0)
    xt = extract(sqrt_ab, t, x0.shape) * x0 + extract(sqrt_1mab, t, x0.shape) * noise
    pred = model(xt, t)
    loss = F.mse_loss(pred, noise)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.lerp_(pm, 0.1)
        for be, bm in zip(ema.buffers(), model.buffers()):
            be.copy_(bm)
    print(step, t.tolist(), f"{loss.item():.5f}", f"{gn.item():.5f}", f"{sched.get_last_lr()[0]:.6e}")
with torch.no_grad():
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(0.9).add_(pm, alpha=0.1)
    s = sum(p.norm() ** 2 for p in ema.parameters()).sqrt()
    print("ema norm", f"{s.item():.5f}")
    # sampling step
    ema.eval()
    x = torch.randn(2, 3, 8, 8)
    for i in reversed(range(0, T, 25)):
        tt = torch.full((2,), i, dtype=torch.long)
        eps = ema(x, tt)
        a, ab, b = alphas[i], abar[i], betas[i]
        mean = (x - b / (1 - ab).sqrt() * eps) / a.sqrt()
        x = mean + (b.sqrt() * torch.randn_like(x) if i > 0 else 0)
    x = x.clamp(-1, 1)
    print("sample", x.shape, x.dtype, f"{x.mean().item():.5f}", f"{x.std().item():.5f}")
"""

CONVNEXT_DROPPATH = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)

def drop_path(x, drop_prob: float = 0., training: bool = False, scale_by_keep: bool = True):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
    random_tensor.floor_()
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor

def drop_path2(x, p, training):
    if p == 0. or not training:
        return x
    keep = 1 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x.div(keep) * mask

class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__(); self.p = p
    def forward(self, x):
        return drop_path(x, self.p, self.training)
    def extra_repr(self):
        return f'drop_prob={round(self.p,3):0.3f}'

class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)

class LayerNormCF(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c)); self.bias = nn.Parameter(torch.zeros(c)); self.eps = eps
    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]

class Block(nn.Module):
    def __init__(self, dim, dp=0.0, ls=1e-6):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(ls * torch.ones((dim)), requires_grad=True) if ls > 0 else None
        self.drop_path = DropPath(dp) if dp > 0. else nn.Identity()
    def forward(self, x):
        inp = x
        x = self.dwconv(x)
        x = x.permute(0, 2, 3, 1)
        x = self.norm(x)
        x = self.pwconv1(x)
        x = self.act(x)
        x = self.pwconv2(x)
        if self.gamma is not None:
            x = self.gamma * x
        x = x.permute(0, 3, 1, 2)
        return inp + self.drop_path(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 4, stride=4), LayerNormCF(16))
        dpr = [x.item() for x in torch.linspace(0, 0.3, 3)]
        self.blocks = nn.Sequential(*[Block(16, dpr[i], ls=0.5) for i in range(3)])
        self.ds = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Conv2d(16, 32, 2, stride=2))
        self.head = nn.Linear(32, 5)
        self.norm = nn.LayerNorm(32, eps=1e-6)
        self.apply(self._init)
    def _init(self, m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=.02)
            nn.init.constant_(m.bias, 0)
    def forward(self, x):
        x = self.ds(self.blocks(self.stem(x)))
        return self.head(self.norm(x.mean([-2, -1])))

net = Net()
print(net.blocks[1])
print(sum(p.numel() for p in net.parameters()))
decay, no_decay = [], []
for n, p in net.named_parameters():
    (no_decay if p.ndim <= 1 or n.endswith(".gamma") else decay).append(p)
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=4e-3, betas=(0.9, 0.999))
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=1e-5)
x = torch.randn(6, 3, 16, 16)
y = torch.randint(0, 5, (6,))
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
for step in range(5):
    net.train()
    out = net(x)
    loss = crit(out, y)
    opt.zero_grad()
    loss.backward()
    gn = nn.utils.clip_grad_norm_(net.parameters(), max_norm=5.0, norm_type=2)
    opt.step(); sched.step()
    print(step, round(loss.item(), 5), round(gn.item(), 5), sched.get_last_lr())
net.eval()
with torch.no_grad():
    o = net(x)
print(o)
print(net.blocks[0].gamma[:4])
print(drop_path2(torch.ones(4, 2), 0.5, True))
print({n: round(p.norm().item(), 4) for n, p in list(net.named_parameters())[:6]})
"""

MLP_MIXER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(1)

class MlpBlock(nn.Module):
    def __init__(self, dim, hidden, drop=0.1):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden); self.fc2 = nn.Linear(hidden, dim); self.drop = nn.Dropout(drop)
    def forward(self, x):
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x), approximate="tanh"))))

class MixerBlock(nn.Module):
    def __init__(self, ntok, dim):
        super().__init__()
        self.n1 = nn.LayerNorm(dim); self.tok = MlpBlock(ntok, 2 * ntok)
        self.n2 = nn.LayerNorm(dim); self.ch = MlpBlock(dim, 4 * dim)
    def forward(self, x):
        x = x + self.tok(self.n1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ch(self.n2(x))

class Mixer(nn.Module):
    def __init__(self, img=16, p=4, dim=24, depth=2, nc=10):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, p, p)
        n = (img // p) ** 2
        self.blocks = nn.Sequential(*[MixerBlock(n, dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, nc)
        nn.init.zeros_(self.head.weight); nn.init.zeros_(self.head.bias)
    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))

m = Mixer()
x = torch.randn(8, 3, 16, 16); y = torch.randint(0, 10, (8,))
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.05, amsgrad=True)
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=2)
cos = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[2])
for i in range(8):
    opt.zero_grad()
    loss = F.cross_entropy(m(x), y)
    loss.backward()
    g = nn.utils.clip_grad_norm_(m.parameters(), 0.5)
    vg = nn.utils.clip_grad_value_(m.parameters(), 0.01)
    opt.step(); sched.step()
    print(i, f"{loss.item():.6f}", f"{g.item():.6f}", [f"{l:.6e}" for l in sched.get_last_lr()])
m.eval()
print(m(x[:2]))
print(torch.stack([p.grad.norm() for p in m.parameters() if p.grad is not None])[:5])
"""

SWIN_WINDOW_ATTENTION = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(2)

def window_partition(x, ws):
    B, H, W, C = x.shape
    x = x.view(B, H // ws, ws, W // ws, ws, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, C)

def window_reverse(windows, ws, H, W):
    B = int(windows.shape[0] / (H * W / ws / ws))
    x = windows.view(B, H // ws, W // ws, ws, ws, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)

class WindowAttention(nn.Module):
    def __init__(self, dim, ws, nh):
        super().__init__()
        self.dim, self.ws, self.nh = dim, ws, nh
        self.scale = (dim // nh) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) * (2 * ws - 1), nh))
        coords = torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing="ij"))
        cf = torch.flatten(coords, 1)
        rel = cf[:, :, None] - cf[:, None, :]
        rel = rel.permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("relative_position_index", rel.sum(-1))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)
        self.softmax = nn.Softmax(dim=-1)
    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.nh, C // self.nh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = (q @ k.transpose(-2, -1))
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(
            self.ws * self.ws, self.ws * self.ws, -1).permute(2, 0, 1).contiguous()
        attn = attn + bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, self.nh, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.nh, N, N)
        attn = self.softmax(attn)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)

class SwinBlock(nn.Module):
    def __init__(self, dim, res, nh, ws, shift):
        super().__init__()
        self.res, self.ws, self.shift = res, ws, shift
        self.norm1 = nn.LayerNorm(dim); self.attn = WindowAttention(dim, ws, nh)
        self.norm2 = nn.LayerNorm(dim); self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        if shift > 0:
            H, W = res
            img_mask = torch.zeros((1, H, W, 1))
            cnt = 0
            for h in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                for w in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                    img_mask[:, h, w, :] = cnt
                    cnt += 1
            mw = window_partition(img_mask, ws).view(-1, ws * ws)
            am = mw.unsqueeze(1) - mw.unsqueeze(2)
            am = am.masked_fill(am != 0, float(-100.0)).masked_fill(am == 0, float(0.0))
        else:
            am = None
        self.register_buffer("attn_mask", am, persistent=False)
    def forward(self, x):
        H, W = self.res
        B, L, C = x.shape
        sc = x
        x = self.norm1(x).view(B, H, W, C)
        if self.shift > 0:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        xw = window_partition(x, self.ws).view(-1, self.ws * self.ws, C)
        aw = self.attn(xw, mask=self.attn_mask).view(-1, self.ws, self.ws, C)
        x = window_reverse(aw, self.ws, H, W)
        if self.shift > 0:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = sc + x.view(B, H * W, C)
        return x + self.mlp(self.norm2(x))

class PatchMerging(nn.Module):
    def __init__(self, res, dim):
        super().__init__()
        self.res = res; self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False); self.norm = nn.LayerNorm(4 * dim)
    def forward(self, x):
        H, W = self.res; B, L, C = x.shape
        x = x.view(B, H, W, C)
        x0 = x[:, 0::2, 0::2, :]; x1 = x[:, 1::2, 0::2, :]; x2 = x[:, 0::2, 1::2, :]; x3 = x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1).view(B, -1, 4 * C)
        return self.reduction(self.norm(x))

class Swin(nn.Module):
    def __init__(self):
        super().__init__()
        self.pe = nn.Conv2d(3, 16, 2, 2)
        self.b1 = SwinBlock(16, (8, 8), 2, 4, 0)
        self.b2 = SwinBlock(16, (8, 8), 2, 4, 2)
        self.pm = PatchMerging((8, 8), 16)
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 4)
    def forward(self, x):
        x = self.pe(x).flatten(2).transpose(1, 2)
        x = self.pm(self.b2(self.b1(x)))
        x = self.norm(x)
        x = F.adaptive_avg_pool1d(x.transpose(1, 2), 1).flatten(1)
        return self.head(x)

m = Swin()
print(m.b2.attn_mask.shape, m.b2.attn_mask[1, :3, :8])
print(m.b1.attn.relative_position_index[:3, :6])
print([k for k in m.state_dict().keys()][:12])
x = torch.randn(4, 3, 16, 16); y = torch.tensor([0, 1, 2, 3])
opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, epochs=2, steps_per_epoch=3, anneal_strategy="cos", pct_start=0.25)
for i in range(6):
    loss = F.cross_entropy(m(x), y)
    opt.zero_grad(); loss.backward()
    gn = nn.utils.clip_grad_norm_(m.parameters(), 1.0, error_if_nonfinite=True)
    opt.step(); sched.step()
    print(i, f"{loss.item():.5f}", f"{gn.item():.5f}", f"{opt.param_groups[0]['lr']:.6e}", f"{opt.param_groups[0]['betas'][0]:.5f}")
print(m.b1.attn.relative_position_bias_table.grad.abs().sum() > 0)
print(torch.roll(torch.arange(12).view(3, 4), 1), torch.roll(torch.arange(12).view(3, 4), shifts=-1, dims=1))
"""

EFFICIENTNET_SE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(3)

class SE(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1); self.fc2 = nn.Conv2d(c // r, c, 1)
    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = self.fc2(F.silu(self.fc1(s)))
        return x * torch.sigmoid(s)

class SE2(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Sequential(nn.Linear(c, c // r, bias=False), nn.SiLU(inplace=True), nn.Linear(c // r, c, bias=False), nn.Sigmoid())
    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.pool(x).view(b, c)
        return x * self.fc(y).view(b, c, 1, 1).expand_as(x)

class MBConv(nn.Module):
    def __init__(self, cin, cout, expand=4, stride=1, k=3):
        super().__init__()
        mid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid, momentum=0.01, eps=1e-3), nn.SiLU(),
            nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid, momentum=0.01, eps=1e-3), nn.SiLU(),
            SE(mid), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout, momentum=0.01, eps=1e-3))
    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_res else y

net = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.SiLU(),
                    MBConv(8, 8), MBConv(8, 16, stride=2, k=5), SE2(16), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, 3))
for m in net.modules():
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out")
    elif isinstance(m, nn.Linear):
        init_range = 1.0 / (m.out_features ** 0.5)
        nn.init.uniform_(m.weight, -init_range, init_range)
        if m.bias is not None: nn.init.zeros_(m.bias)
x = torch.randn(5, 3, 16, 16); y = torch.randint(0, 3, (5,))
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-5)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.97)
for i in range(5):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step(); sched.step()
    print(i, f"{loss.item():.6f}", net[1].running_mean[:3], net[3].block[1].num_batches_tracked)
net.eval()
with torch.no_grad():
    print(net(x))
print(F.adaptive_avg_pool2d(torch.arange(30.).view(1, 1, 5, 6), (2, 3)))
print(F.adaptive_max_pool2d(torch.arange(30.).view(1, 1, 5, 6), (2, 4), return_indices=True))
"""

MOBILEVIT_UNFOLD_FOLD = """\
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(4)

class MobileViTBlock(nn.Module):
    def __init__(self, c, d, ph=2, pw=2):
        super().__init__()
        self.ph, self.pw = ph, pw
        self.local = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.SiLU(), nn.Conv2d(c, d, 1, bias=False))
        layer = nn.TransformerEncoderLayer(d, 2, 2 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.tr = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.proj = nn.Sequential(nn.Conv2d(d, c, 1, bias=False), nn.BatchNorm2d(c), nn.SiLU())
        self.fuse = nn.Sequential(nn.Conv2d(2 * c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.SiLU())
    def unfolding(self, x):
        B, C, H, W = x.shape
        nh, nw = math.ceil(H / self.ph) * self.ph, math.ceil(W / self.pw) * self.pw
        interpolate = False
        if nh != H or nw != W:
            x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
            interpolate = True
        P = self.ph * self.pw
        N = (nh // self.ph) * (nw // self.pw)
        x = x.reshape(B * C * (nh // self.ph), self.ph, nw // self.pw, self.pw).transpose(1, 2)
        x = x.reshape(B, C, N, P).transpose(1, 3).reshape(B * P, N, -1)
        return x, dict(orig=(H, W), B=B, interp=interpolate, N=N, nh=nh // self.ph, nw=nw // self.pw)
    def folding(self, x, info):
        B = info["B"]
        x = x.contiguous().view(B, self.ph * self.pw, info["N"], -1)
        B, P, N, C = x.size()
        x = x.transpose(1, 3)
        x = x.reshape(B * C * info["nh"], info["nw"], self.ph, self.pw).transpose(1, 2)
        x = x.reshape(B, C, info["nh"] * self.ph, info["nw"] * self.pw)
        if info["interp"]:
            x = F.interpolate(x, size=info["orig"], mode="bilinear", align_corners=False)
        return x
    def forward(self, x):
        res = x
        fm = self.local(x)
        p, info = self.unfolding(fm)
        p = self.norm(self.tr(p))
        fm = self.proj(self.folding(p, info))
        return self.fuse(torch.cat((res, fm), dim=1))

class MobileViTv2Unfold(nn.Module):
    def __init__(self, c, ph=2):
        super().__init__()
        self.ph = ph
        self.lin = nn.Linear(c, c)
    def forward(self, x):
        B, C, H, W = x.shape
        p = F.unfold(x, kernel_size=(self.ph, self.ph), stride=(self.ph, self.ph))
        p = p.reshape(B, C, self.ph * self.ph, -1)
        p = self.lin(p.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        p = p.reshape(B, C * self.ph * self.ph, -1)
        return F.fold(p, output_size=(H, W), kernel_size=(self.ph, self.ph), stride=(self.ph, self.ph))

net = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), MobileViTBlock(8, 12), MobileViTv2Unfold(8),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
x = torch.randn(3, 3, 14, 14); y = torch.randint(0, 3, (3,))
opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=5, three_phase=True)
for i in range(5):
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad(); loss.backward()
    gn = nn.utils.clip_grad_norm_(net.parameters(), 2.0, foreach=True)
    opt.step(); sched.step()
    print(i, f"{loss.item():.5f}", f"{gn.item():.5f}", f"{sched.get_last_lr()[0]:.6e}")
a = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
u = F.unfold(a, 2, dilation=1, padding=1, stride=1)
print(u.shape, u[0, :5, :6])
print(F.fold(u, (4, 4), 2, padding=1)[0, 0])
uf = nn.Unfold(kernel_size=(2, 3), dilation=(1, 2), padding=(0, 1), stride=(2, 1))
print(uf, uf(a).shape)
print(nn.Fold(output_size=(5, 5), kernel_size=3)(torch.ones(1, 9, 9)))
print(F.unfold(a[0], 2).shape)
"""

AUTOCAST_BF16_LOOP = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(5)
net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(8, 16), nn.LayerNorm(16), nn.SiLU(), nn.Linear(16, 4))
x = torch.randn(4, 3, 8, 8); y = torch.randint(0, 4, (4,))
opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 4)
for i in range(4):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = net[0](x)
        print("conv", h.dtype)
        out = net(x)
        print(out.dtype, net[6](torch.randn(2, 16)).dtype)
        loss = F.cross_entropy(out, y)
        print("loss", loss.dtype)
        mm = torch.mm(torch.randn(2, 3), torch.randn(3, 2))
        print(mm.dtype, (mm + 1.0).dtype, torch.softmax(mm, -1).dtype, F.mse_loss(mm, torch.zeros(2, 2)).dtype)
        print(torch.bmm(torch.randn(1, 2, 3), torch.randn(1, 3, 2)).dtype, F.linear(torch.randn(2, 3), torch.randn(4, 3)).dtype)
        print(torch.exp(mm).dtype, mm.sum().dtype, F.gelu(mm).dtype, torch.matmul(torch.randn(3), torch.randn(3)).dtype)
        print(torch.is_autocast_enabled(), torch.get_autocast_dtype("cpu"))
    opt.zero_grad()
    loss.backward()
    print([p.grad.dtype for p in net.parameters()][:3])
    gn = nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step(); sched.step()
    print(i, f"{loss.item():.4f}", f"{gn.item():.4f}")
with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False):
    print(net(x).dtype)
with torch.autocast("cpu"):
    print(net(x).dtype, torch.get_autocast_dtype("cpu"))
    with torch.autocast("cpu", enabled=False):
        print(net(x).dtype)
@torch.autocast("cpu", dtype=torch.bfloat16)
def f(a, b):
    return a @ b
print(f(torch.randn(2, 2), torch.randn(2, 2)).dtype)
m = nn.Linear(3, 3).to(torch.bfloat16)
print(m(torch.randn(2, 3, dtype=torch.bfloat16)))
print(m.weight.dtype, m.weight.grad)
x16 = torch.randn(4, 3).bfloat16()
print(x16, x16.sum(), x16.mean(), x16.float().norm())
with torch.autocast("cpu", dtype=torch.float16):
    print(torch.mm(torch.randn(2, 3), torch.randn(3, 2)).dtype)
"""

DIFFUSION_SCHEDULES_DDIM = """\
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(6)

def cosine_beta_schedule(timesteps, s=0.008):
    steps = timesteps + 1
    x = torch.linspace(0, timesteps, steps, dtype=torch.float64)
    ac = torch.cos(((x / timesteps) + s) / (1 + s) * math.pi * 0.5) ** 2
    ac = ac / ac[0]
    betas = 1 - (ac[1:] / ac[:-1])
    return torch.clip(betas, 0, 0.999)

def sigmoid_beta_schedule(timesteps, start=-3, end=3, tau=1):
    steps = timesteps + 1
    t = torch.linspace(0, timesteps, steps, dtype=torch.float64) / timesteps
    v_start = torch.tensor(start / tau).sigmoid()
    v_end = torch.tensor(end / tau).sigmoid()
    ac = (-((t * (end - start) + start) / tau).sigmoid() + v_end) / (v_end - v_start)
    ac = ac / ac[0]
    betas = 1 - (ac[1:] / ac[:-1])
    return torch.clip(betas, 0, 0.999)

class GaussianDiffusion(nn.Module):
    def __init__(self, model, T=50):
        super().__init__()
        self.model = model
        betas = cosine_beta_schedule(T)
        alphas = 1. - betas
        ac = torch.cumprod(alphas, dim=0)
        acp = F.pad(ac[:-1], (1, 0), value=1.)
        reg = lambda name, val: self.register_buffer(name, val.to(torch.float32))
        reg("betas", betas); reg("ac", ac); reg("acp", acp)
        reg("sqrt_ac", torch.sqrt(ac)); reg("sqrt_1mac", torch.sqrt(1. - ac))
        reg("log_1mac", torch.log(1. - ac)); reg("sqrt_recip_ac", torch.sqrt(1. / ac))
        reg("sqrt_recipm1_ac", torch.sqrt(1. / ac - 1))
        pv = betas * (1. - acp) / (1. - ac)
        reg("posterior_variance", pv)
        reg("posterior_log_variance_clipped", torch.log(pv.clamp(min=1e-20)))
        reg("pmc1", betas * torch.sqrt(acp) / (1. - ac))
        reg("pmc2", (1. - acp) * torch.sqrt(alphas) / (1. - ac))
        snr = ac / (1 - ac)
        maybe_clipped_snr = snr.clone().clamp_(max=5)
        reg("loss_weight", maybe_clipped_snr / snr)
        self.T = T
    def extract(self, a, t, x_shape):
        b, *_ = t.shape
        out = a.gather(-1, t)
        return out.reshape(b, *((1,) * (len(x_shape) - 1)))
    def q_sample(self, x0, t, noise):
        return self.extract(self.sqrt_ac, t, x0.shape) * x0 + self.extract(self.sqrt_1mac, t, x0.shape) * noise
    def forward(self, x0, g):
        b = x0.shape[0]
        t = torch.randint(0, self.T, (b,), generator=g).long()
        noise = torch.randn(x0.shape, generator=g)
        xt = self.q_sample(x0, t, noise)
        v = self.extract(self.sqrt_ac, t, x0.shape) * noise - self.extract(self.sqrt_1mac, t, x0.shape) * x0
        out = self.model(xt)
        loss = F.mse_loss(out, v, reduction="none")
        loss = loss.mean(dim=list(range(1, len(loss.shape))))
        loss = loss * self.extract(self.loss_weight, t, loss.shape)
        return loss.mean()
    @torch.inference_mode()
    def ddim_sample(self, shape, g, steps=5, eta=0.0):
        times = torch.linspace(-1, self.T - 1, steps=steps + 1)
        times = list(reversed(times.int().tolist()))
        pairs = list(zip(times[:-1], times[1:]))
        img = torch.randn(shape, generator=g)
        for time, time_next in pairs:
            tc = torch.full((shape[0],), time, dtype=torch.long)
            v = self.model(img)
            x0 = self.extract(self.sqrt_ac, tc, img.shape) * img - self.extract(self.sqrt_1mac, tc, img.shape) * v
            x0 = torch.clamp(x0, -1., 1.)
            pn = (self.extract(self.sqrt_recip_ac, tc, img.shape) * img - x0) / self.extract(self.sqrt_recipm1_ac, tc, img.shape)
            if time_next < 0:
                img = x0
                continue
            alpha = self.ac[time]; alpha_next = self.ac[time_next]
            sigma = eta * ((1 - alpha / alpha_next) * (1 - alpha_next) / (1 - alpha)).sqrt()
            c = (1 - alpha_next - sigma ** 2).sqrt()
            noise = torch.randn(img.shape, generator=g)
            img = x0 * alpha_next.sqrt() + c * pn + sigma * noise
        return img

net = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.GroupNorm(2, 8, eps=1e-6), nn.SiLU(),
                    nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect"), nn.SiLU(), nn.Conv2d(8, 2, 1))
d = GaussianDiffusion(net)
print(d.betas[:4], d.betas.dtype, d.loss_weight[-3:], d.posterior_log_variance_clipped[:3])
print(sigmoid_beta_schedule(10))
g = torch.Generator().manual_seed(123)
x0 = torch.rand(4, 2, 6, 6) * 2 - 1
opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.9, 0.99))
ema_params = [p.detach().clone() for p in d.parameters()]
for step in range(5):
    loss = d(x0, g)
    opt.zero_grad(); loss.backward()
    nn.utils.clip_grad_norm_(d.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        torch._foreach_lerp_(ema_params, [p.detach() for p in d.parameters()], 1 - 0.9)
    print(step, f"{loss.item():.6f}")
print(sum(p.sum() for p in ema_params))
img = d.ddim_sample((2, 2, 6, 6), g)
print(img.shape, f"{img.mean().item():.5f}", f"{img.abs().max().item():.5f}", img.requires_grad)
img = d.ddim_sample((2, 2, 6, 6), g, eta=1.0)
print(f"{img.std().item():.5f}")
"""

CONVNEXTV2_SWINV2 = """\
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(7)

class GRN(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, 1, dim)); self.beta = nn.Parameter(torch.zeros(1, 1, 1, dim))
    def forward(self, x):
        Gx = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
        Nx = Gx / (Gx.mean(dim=-1, keepdim=True) + 1e-6)
        return self.gamma * (x * Nx) + self.beta + x

class CosAttn(nn.Module):
    def __init__(self, dim, nh, ws):
        super().__init__()
        self.nh, self.ws = nh, ws
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((nh, 1, 1))), requires_grad=True)
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 32, bias=True), nn.ReLU(inplace=True), nn.Linear(32, nh, bias=False))
        rch = torch.arange(-(ws - 1), ws, dtype=torch.float32)
        rcw = torch.arange(-(ws - 1), ws, dtype=torch.float32)
        table = torch.stack(torch.meshgrid([rch, rcw], indexing="ij")).permute(1, 2, 0).contiguous().unsqueeze(0)
        table[:, :, :, 0] /= (ws - 1)
        table[:, :, :, 1] /= (ws - 1)
        table *= 8
        table = torch.sign(table) * torch.log2(torch.abs(table) + 1.0) / np.log2(8)
        self.register_buffer("table", table, persistent=False)
        coords = torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing="ij"))
        cf = torch.flatten(coords, 1)
        rel = (cf[:, :, None] - cf[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1; rel[:, :, 1] += ws - 1; rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("index", rel.sum(-1), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim)); self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)
    def forward(self, x):
        B_, N, C = x.shape
        qkv_bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias, requires_grad=False), self.v_bias))
        qkv = F.linear(input=x, weight=self.qkv.weight, bias=qkv_bias)
        qkv = qkv.reshape(B_, N, 3, self.nh, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1))
        logit_scale = torch.clamp(self.logit_scale, max=torch.log(torch.tensor(1. / 0.01))).exp()
        attn = attn * logit_scale
        tbl = self.cpb_mlp(self.table).view(-1, self.nh)
        bias = tbl[self.index.view(-1)].view(N, N, -1).permute(2, 0, 1).contiguous()
        attn = attn + 16 * torch.sigmoid(bias).unsqueeze(0)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B_, N, C))

print(CosAttn(8, 2, 3).table[0, :2])
grn = GRN(6)
nn.init.normal_(grn.gamma); nn.init.normal_(grn.beta)
x = torch.randn(2, 4, 4, 6, requires_grad=True)
o = grn(x)
o.square().sum().backward()
print(o[0, 0, :2], x.grad[0, 0, 0], grn.gamma.grad.flatten())
att = CosAttn(8, 2, 3)
xx = torch.randn(3, 9, 8)
opt = torch.optim.AdamW(att.parameters(), lr=1e-2)
sch = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3) * 0.5 * (1 + np.cos(np.pi * s / 6)))
for i in range(6):
    out = att(xx)
    loss = (out - xx).pow(2).mean()
    opt.zero_grad(); loss.backward()
    print(i, f"{loss.item():.6f}", f"{att.logit_scale.grad.norm().item():.6f}", sch.get_last_lr())
    opt.step(); sch.step()
print(att.logit_scale.flatten())
print(torch.norm(x, dim=(1, 2)).shape, torch.norm(x, p="fro", dim=(1, 2)).shape, torch.linalg.vector_norm(x, 2, dim=(1, 2)).shape)
"""


@pytest.mark.parametrize("src", [DDPM_UNET_EMA, CONVNEXT_DROPPATH, MLP_MIXER, SWIN_WINDOW_ATTENTION, EFFICIENTNET_SE, MOBILEVIT_UNFOLD_FOLD, AUTOCAST_BF16_LOOP, DIFFUSION_SCHEDULES_DDIM, CONVNEXTV2_SWINV2],
                         ids=['ddpm_unet_ema', 'convnext_droppath', 'mlp_mixer', 'swin_window_attention', 'efficientnet_se', 'mobilevit_unfold_fold', 'autocast_bf16_loop', 'diffusion_schedules_ddim', 'convnextv2_swinv2'])
def test_modern_program_prints_the_same(src):
    if "torchvision" in src:
        pytest.importorskip("torchvision")
    same_printed(src)


CHECKPOINT_UNDER_AUTOCAST = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
torch.manual_seed(0)
lin = nn.Linear(4, 4)
def seg(x):
    print("segment autocast", torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    h = lin(x)
    print("segment dtype", h.dtype)
    return F.gelu(h)
for reentrant in (False, True):
    x = torch.randn(2, 4, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = checkpoint(seg, x, use_reentrant=reentrant)
    print(y.dtype)
    y.float().sum().backward()
    print(x.grad, lin.weight.grad.dtype)
    lin.zero_grad()
x = torch.randn(2, 4, requires_grad=True)
with torch.autocast("cpu", dtype=torch.bfloat16):
    with torch.autocast("cpu", enabled=False):
        y = checkpoint(seg, x, use_reentrant=False)
y.sum().backward()
print(x.grad)
"""


def test_checkpoint_recomputes_in_the_forward_autocast_state():
    same_printed(CHECKPOINT_UNDER_AUTOCAST)


SET_AUTOCAST_ENABLED = """\
import torch
a, b = torch.ones(2, 2), torch.ones(2, 2)
torch.set_autocast_enabled("cpu", True)
print(torch.is_autocast_enabled("cpu"), torch.mm(a, b).dtype)
torch.set_autocast_dtype("cpu", torch.float16)
print(torch.nn.functional.linear(a, b).dtype)
torch.set_autocast_dtype("cpu", torch.bfloat16)
with torch.autocast("cpu", enabled=False):
    print(torch.mm(a, b).dtype)
print(torch.mm(a, b).dtype)
torch.set_autocast_enabled("cpu", False)
print(torch.is_autocast_enabled("cpu"), torch.mm(a, b).dtype)
"""


def test_set_autocast_enabled_outside_a_region():
    same_printed(SET_AUTOCAST_ENABLED)


@pytest.mark.parametrize("call", [
    lambda L, x: L.roll(x, 1, 5),
    lambda L, x: L.roll(x, (1, 1), (0, -3)),
    lambda L, x: x.roll(1, dims=[2]),
])
def test_roll_dim_out_of_range_message(call):
    with pytest.raises(IndexError) as et:
        call(torch, torch.zeros(2, 3))
    with pytest.raises(IndexError) as ee:
        call(ember, ember.zeros(2, 3))
    assert str(ee.value) == str(et.value)


@pytest.mark.parametrize("call", [
    lambda L: L.is_autocast_cpu_enabled(),
    lambda L: L.set_autocast_cpu_enabled(False),
    lambda L: L.get_autocast_cpu_dtype(),
    lambda L: L.set_autocast_cpu_dtype(L.bfloat16),
    lambda L: L.get_autocast_gpu_dtype(),
    lambda L: L.set_autocast_gpu_dtype(L.float16),
])
def test_deprecated_autocast_accessor_warning_text(call):
    """The whole message, "(Triggered internally at ...)" included (Ember keeps the literal
    ``torch.`` names of PyTorch's text)."""
    import warnings

    def caught(L):
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            call(L)
        return [(w.category, str(w.message)) for w in ws]

    assert caught(ember) == caught(torch)


@pytest.mark.parametrize("shape,perm,dims,dtype", [
    ((2, 8, 5, 5), None, (2, 3), "float32"),  # squeeze-excitation's mean of a channels-last map
    ((2, 64, 7, 7), None, (2, 3), "float32"),
    ((2, 8, 5, 5), None, (1,), "float32"),
    ((2, 8, 5, 5), None, (0, 2, 3), "float64"),
    ((40, 300), (1, 0), (0,), "float32"),
    ((4, 9, 70), (2, 0, 1), (1, 2), "float32"),
    ((3, 16, 9, 9), (0, 3, 1, 2), (1,), "complex64"),
])
def test_reductions_of_a_permuted_layout_bit_for_bit(shape, perm, dims, dtype):
    """A channels-last or transposed input summed (and averaged) over dims that lie together
    in memory: PyTorch walks it in memory order; Ember adds in the same order."""
    import numpy as np

    def run(L):
        L.manual_seed(0)
        x = L.randn(*shape, dtype=getattr(L, dtype))
        x = x.contiguous(memory_format=L.channels_last) if perm is None else x.permute(*perm)
        return [x.sum(dims).numpy(), x.mean(dims, keepdim=True).numpy()]

    for t, e in zip(run(torch), run(ember)):
        assert e.shape == t.shape and e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape,dim,channels_last", [
    ((8, 256), -1, False),  # embeddings normalized for a cosine head
    ((3, 5, 64), -1, False),
    ((4, 37), 1, False),
    ((2, 16, 6, 6), 1, True),  # a channels-last feature map over its channels
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_and_norm_bit_for_bit(shape, dim, channels_last, dtype):
    """``F.normalize`` divides by PyTorch's norm kernel's 2-norm (its summation order), and
    ``Tensor.norm`` over the channels of a channels-last map follows that order too."""
    import numpy as np

    def run(L):
        L.manual_seed(0)
        x = L.randn(*shape, dtype=getattr(L, dtype))
        if channels_last:
            x = x.contiguous(memory_format=L.channels_last)
        return [L.nn.functional.normalize(x, dim=dim).numpy(), x.norm(dim=dim).numpy()]

    for t, e in zip(run(torch), run(ember)):
        np.testing.assert_array_equal(e, t)
