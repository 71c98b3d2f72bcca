"""Session 26, lane A: generative-model programs (VAEs, DCGAN/WGAN-GP, DDPM/DDIM schedules and
samplers, sinusoidal time embeddings, coupling flows, distributions, top-k/top-p sampling, EMA
of weights, VQ-VAE, MADE, PixelCNN, score matching) run as whole programs: each text, written
against PyTorch, prints the same under PyTorch and, rewritten, under Ember. Plus an oracle test
of PyTorch's parser error for ``linspace``/``logspace`` called without ``steps``."""

from __future__ import annotations

import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")

PROGRAMS: dict[str, str] = {}

PROGRAMS["vae_mlp"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

class VAE(nn.Module):
    def __init__(self, d=16, h=12, z=3):
        super().__init__()
        self.fc1 = nn.Linear(d, h)
        self.fc21 = nn.Linear(h, z)
        self.fc22 = nn.Linear(h, z)
        self.fc3 = nn.Linear(z, h)
        self.fc4 = nn.Linear(h, d)
    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)
    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std
    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))
    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 16))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 16), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD, BCE, KLD

model = VAE()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
data = torch.rand(8, 1, 4, 4)
for epoch in range(5):
    model.train()
    opt.zero_grad()
    recon, mu, logvar = model(data)
    loss, bce, kld = loss_function(recon, data, mu, logvar)
    loss.backward()
    opt.step()
    print(f"epoch {epoch} loss {loss.item()/len(data):.4f} bce {bce.item():.4f} kld {kld.item():.4f}")
print(loss.grad_fn, recon.grad_fn)
with torch.no_grad():
    sample = torch.randn(4, 3)
    sample = model.decode(sample).cpu()
    print(sample.view(4, 1, 4, 4).shape)
    print(sample[:2])
print(list(model.state_dict().keys()))
"""

PROGRAMS["vae_conv"] = r"""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(1)

class ConvVAE(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        self.mu = nn.Linear(8 * 2 * 2, latent)
        self.logvar = nn.Linear(8 * 2 * 2, latent)
        self.dec_in = nn.Linear(latent, 8 * 2 * 2)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1), nn.Sigmoid())
    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        out = self.dec(self.dec_in(z).view(-1, 8, 2, 2))
        return out, mu, logvar

m = ConvVAE()
print(m)
opt = torch.optim.Adam(m.parameters(), lr=3e-3)
x = torch.rand(6, 1, 8, 8)
for step in range(4):
    out, mu, logvar = m(x)
    rec = F.mse_loss(out, x, reduction='sum')
    kl = torch.mean(-0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp(), dim=1), dim=0)
    loss = rec + kl
    opt.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(m.parameters(), 10.0)
    opt.step()
    print(step, f"{loss.item():.4f}", f"{rec.item():.4f}", f"{kl.item():.4f}", f"{gn:.4f}")
print(out.shape, out.dtype, mu.shape)
with torch.no_grad():
    z = torch.randn(2, 4)
    s = m.dec(m.dec_in(z).view(-1, 8, 2, 2))
print(s.shape, s.min().item() >= 0, s.max().item() <= 1)
print(s[0, 0, :2])
print([k for k in m.state_dict()])
print(kl.grad_fn.name(), rec.grad_fn)
"""

PROGRAMS["dcgan"] = r"""
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(999)
nz, ngf, ndf, nc = 8, 4, 4, 1

def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)

class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh())
    def forward(self, input):
        return self.main(input)

class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid())
    def forward(self, input):
        return self.main(input)

netG = Generator(); netG.apply(weights_init); print(netG)
netD = Discriminator(); netD.apply(weights_init); print(netD)
criterion = nn.BCELoss()
fixed_noise = torch.randn(4, nz, 1, 1)
real_label, fake_label = 1., 0.
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
real = torch.rand(4, 1, 16, 16) * 2 - 1
for i in range(3):
    netD.zero_grad()
    b_size = real.size(0)
    label = torch.full((b_size,), real_label, dtype=torch.float)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    noise = torch.randn(b_size, nz, 1, 1)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    print('[%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
          % (i, 3, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
print(fake.shape, fake[0, 0, 0, :4])
print(netG.main[1].running_mean, netG.main[1].num_batches_tracked)
print(label, label.dtype)
"""

PROGRAMS["gan_bcelogits"] = r"""
import torch
import torch.nn as nn

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
print(G, D, sep="\n")
loss_fn = nn.BCEWithLogitsLoss()
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
for step in range(5):
    real = torch.randn(8, 2) * 0.5 + torch.tensor([2.0, -1.0])
    z = torch.randn(8, 2)
    fake = G(z)
    d_real = D(real)
    d_fake = D(fake.detach())
    loss_d = loss_fn(d_real, torch.ones_like(d_real)) + loss_fn(d_fake, torch.zeros_like(d_fake))
    opt_d.zero_grad(); loss_d.backward(); opt_d.step()
    d_fake = D(fake)
    loss_g = loss_fn(d_fake, torch.full_like(d_fake, 0.9))
    opt_g.zero_grad(); loss_g.backward(); opt_g.step()
    gnorm = torch.norm(torch.stack([p.grad.norm() for p in G.parameters()]))
    print(f"step {step}: D {loss_d.item():.4f} G {loss_g.item():.4f} |gradG| {gnorm:.4f}")
print(fake.requires_grad, fake.detach().requires_grad, fake.grad_fn)
print(d_fake.sigmoid().mean())
print(G.state_dict().keys())
print(opt_g.state_dict()['param_groups'])
"""

PROGRAMS["wgan_gp"] = r"""
import torch
import torch.nn as nn
import torch.autograd as autograd

torch.manual_seed(0)
critic = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
gen = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 4))

def compute_gradient_penalty(D, real_samples, fake_samples):
    alpha = torch.rand(real_samples.size(0), 1)
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                              create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    return gradient_penalty

opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.0, 0.9))
for it in range(4):
    real = torch.randn(6, 4) + 1
    z = torch.randn(6, 3)
    fake = gen(z)
    gp = compute_gradient_penalty(critic, real, fake.detach())
    d_loss = -torch.mean(critic(real)) + torch.mean(critic(fake.detach())) + 10 * gp
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    print(f"it {it} d_loss {d_loss.item():.4f} gp {gp.item():.4f} grad_fn {gp.grad_fn.name()}")
    if it % 2 == 1:
        g_loss = -torch.mean(critic(gen(z)))
        opt_g.zero_grad(); g_loss.backward(); opt_g.step()
        print(f"  g_loss {g_loss.item():.4f}")
for p in critic.parameters():
    p.data.clamp_(-0.01, 0.01)
print(critic[0].weight[:2])
print(critic[2].weight.grad.norm())
"""

PROGRAMS["ddpm_sched"] = r"""
import math
import torch
import torch.nn.functional as F

def linear_beta_schedule(timesteps):
    beta_start = 0.0001
    beta_end = 0.02
    return torch.linspace(beta_start, beta_end, timesteps)

def cosine_beta_schedule(timesteps, s=0.008):
    steps = timesteps + 1
    x = torch.linspace(0, timesteps, steps, dtype=torch.float64)
    alphas_cumprod = torch.cos(((x / timesteps) + s) / (1 + s) * math.pi * 0.5) ** 2
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
    return torch.clip(betas, 0, 0.999)

T = 10
betas = linear_beta_schedule(T)
print(betas)
cb = cosine_beta_schedule(T)
print(cb, cb.dtype)
alphas = 1. - betas
alphas_cumprod = torch.cumprod(alphas, axis=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_recip_alphas = torch.sqrt(1.0 / alphas)
sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
sqrt_one_minus_alphas_cumprod = torch.sqrt(1. - alphas_cumprod)
posterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)
print(alphas_cumprod_prev)
print(posterior_variance)

def extract(a, t, x_shape):
    batch_size = t.shape[0]
    out = a.gather(-1, t.cpu())
    return out.reshape(batch_size, *((1,) * (len(x_shape) - 1))).to(t.device)

torch.manual_seed(0)
x_start = torch.randn(3, 1, 2, 2)
t = torch.randint(0, T, (3,), device=x_start.device).long()
print(t, t.dtype)
noise = torch.randn_like(x_start)
c1 = extract(sqrt_alphas_cumprod, t, x_start.shape)
print(c1.shape, c1.flatten())
x_noisy = c1 * x_start + extract(sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise
print(x_noisy)
print(sqrt_alphas_cumprod[t], sqrt_alphas_cumprod[t][:, None, None, None].shape)
print(F.smooth_l1_loss(noise, x_noisy), F.l1_loss(noise, x_noisy))
print(torch.log(posterior_variance.clamp(min=1e-20)))
"""

PROGRAMS["time_embed"] = r"""
import math
import torch
import torch.nn as nn

class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim
    def forward(self, time):
        device = time.device
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim, device=device) * -embeddings)
        embeddings = time[:, None] * embeddings[None, :]
        embeddings = torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)
        return embeddings

def timestep_embedding(timesteps, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = timesteps[:, None].float() * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding

t = torch.tensor([0, 1, 5, 99])
emb = SinusoidalPositionEmbeddings(8)
print(emb)
e = emb(t)
print(e.shape, e.dtype)
print(e)
e2 = timestep_embedding(t, 7)
print(e2.shape, e2)
torch.manual_seed(0)
mlp = nn.Sequential(SinusoidalPositionEmbeddings(8), nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 16))
print(mlp)
out = mlp(t.float())
print(out.shape, out[0, :4])
print(torch.arange(4) * -0.5)
print(torch.arange(4, dtype=torch.float32).dtype, (torch.arange(4) * -0.5).dtype)
"""

PROGRAMS["ddpm_sample"] = r"""
import torch
import torch.nn as nn

torch.manual_seed(0)
T = 8
betas = torch.linspace(1e-4, 0.02, T)
alphas = 1 - betas
alphas_bar = torch.cumprod(alphas, 0)
net = nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Linear(16, 2))

@torch.no_grad()
def p_sample_loop(shape):
    x = torch.randn(shape)
    for i in reversed(range(0, T)):
        t = torch.full((shape[0],), i, dtype=torch.long)
        inp = torch.cat([x, t[:, None].float() / T], dim=1)
        eps = net(inp)
        coef = betas[t] / torch.sqrt(1 - alphas_bar[t])
        mean = (1 / torch.sqrt(alphas[t]))[:, None] * (x - coef[:, None] * eps)
        if i > 0:
            noise = torch.randn_like(x)
            x = mean + torch.sqrt(betas[t])[:, None] * noise
        else:
            x = mean
        print(i, x.norm().item().__round__(4), t[:2])
    return x

x = p_sample_loop((5, 2))
print(x)
print(x.requires_grad, x.shape)
x = x.clamp(-1.0, 1.0)
print(x)
imgs = []
imgs.append(x.cpu().numpy())
print(type(imgs[0]), imgs[0].dtype, imgs[0].shape)
print(torch.randn(2, 2).clamp_(min=-0.5, max=0.5))
"""

PROGRAMS["flow_coupling"] = r"""
import torch
import torch.nn as nn

torch.manual_seed(0)

class AffineCoupling(nn.Module):
    def __init__(self, dim, hidden=16, parity=0):
        super().__init__()
        self.parity = parity
        self.net = nn.Sequential(nn.Linear(dim // 2, hidden), nn.Tanh(), nn.Linear(hidden, dim))
    def forward(self, x):
        x0, x1 = x.chunk(2, dim=1)
        if self.parity:
            x0, x1 = x1, x0
        st = self.net(x0)
        s, t = st.chunk(2, dim=1)
        s = torch.tanh(s)
        z1 = x1 * torch.exp(s) + t
        log_det = torch.sum(s, dim=1)
        z = torch.cat([z1, x0], dim=1) if self.parity else torch.cat([x0, z1], dim=1)
        return z, log_det
    def inverse(self, z):
        z0, z1 = z.chunk(2, dim=1)
        if self.parity:
            z0, z1 = z1, z0
        s, t = self.net(z0).chunk(2, dim=1)
        s = torch.tanh(s)
        x1 = (z1 - t) * torch.exp(-s)
        return torch.cat([x1, z0], dim=1) if self.parity else torch.cat([z0, x1], dim=1)

class Flow(nn.Module):
    def __init__(self, dim, n=4):
        super().__init__()
        self.layers = nn.ModuleList([AffineCoupling(dim, parity=i % 2) for i in range(n)])
        self.prior = torch.distributions.Normal(torch.zeros(dim), torch.ones(dim))
    def forward(self, x):
        ld = torch.zeros(x.shape[0])
        for l in self.layers:
            x, d = l(x)
            ld = ld + d
        return x, ld
    def log_prob(self, x):
        z, ld = self(x)
        return self.prior.log_prob(z).sum(1) + ld

flow = Flow(4)
print(flow)
opt = torch.optim.Adam(flow.parameters(), lr=1e-2)
data = torch.randn(32, 4) @ torch.tensor([[1., 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0.3, 1]])
for i in range(5):
    loss = -flow.log_prob(data).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    print(f"{i}: nll={loss.item():.4f}")
z, _ = flow(data[:3])
x_rec = z
for l in reversed(flow.layers):
    x_rec = l.inverse(x_rec)
print(torch.allclose(x_rec, data[:3], atol=1e-5))
print((x_rec - data[:3]).abs().max() < 1e-5)
samples = flow.prior.sample((3,))
print(samples.shape, samples)
"""

PROGRAMS["mvn"] = r"""
import torch
from torch.distributions import MultivariateNormal, Normal, Categorical, Bernoulli, kl_divergence

torch.manual_seed(0)
A = torch.randn(3, 3)
cov = A @ A.T + 0.5 * torch.eye(3)
loc = torch.tensor([0.5, -1.0, 2.0])
mvn = MultivariateNormal(loc, covariance_matrix=cov)
print(mvn)
x = mvn.sample((4,))
print(x)
print(mvn.log_prob(x))
print(mvn.entropy())
print(mvn.mean, mvn.variance)
print(mvn.scale_tril)
sign, logabsdet = torch.linalg.slogdet(cov)
print(sign, logabsdet)
print(torch.slogdet(cov))
print(torch.logdet(cov))
std = MultivariateNormal(torch.zeros(3), torch.eye(3))
print(kl_divergence(mvn, std))
q = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
p = Normal(torch.zeros(2), torch.ones(2))
print(kl_divergence(q, p))
z = q.rsample()
print(z, z.requires_grad)
mu = torch.zeros(2, requires_grad=True)
d = Normal(mu, torch.ones(2))
s = d.rsample((3,))
s.sum().backward()
print(mu.grad)
print(Bernoulli(logits=torch.tensor([0.0, 2.0])).log_prob(torch.tensor([1.0, 0.0])))
c = Categorical(logits=torch.tensor([1.0, 2.0, 3.0]))
print(c.probs, c.sample((5,)), c.entropy())
"""

PROGRAMS["topk_topp"] = r"""
import torch
import torch.nn.functional as F

def top_k_top_p_filtering(logits, top_k=0, top_p=0.0, filter_value=-float('Inf')):
    top_k = min(top_k, logits.size(-1))
    if top_k > 0:
        indices_to_remove = logits < torch.topk(logits, top_k)[0][..., -1, None]
        logits[indices_to_remove] = filter_value
    if top_p > 0.0:
        sorted_logits, sorted_indices = torch.sort(logits, descending=True)
        cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
        sorted_indices_to_remove = cumulative_probs > top_p
        sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
        sorted_indices_to_remove[..., 0] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        logits = logits.masked_fill(indices_to_remove, filter_value)
    return logits

torch.manual_seed(0)
logits = torch.randn(2, 10)
print(logits)
f1 = top_k_top_p_filtering(logits.clone(), top_k=3)
print(f1)
f2 = top_k_top_p_filtering(logits.clone(), top_p=0.7)
print(f2)
probs = F.softmax(f2 / 0.8, dim=-1)
print(probs)
nxt = torch.multinomial(probs, num_samples=1)
print(nxt, nxt.shape, nxt.dtype)
print(torch.multinomial(probs, 3, replacement=True))
print(torch.multinomial(F.softmax(logits, -1), 4))
v, ix = torch.topk(logits, 3)
print(v, ix)
l2 = logits.clone()
l2[l2 < v[:, [-1]]] = -float('Inf')
print(l2)
print(torch.argmax(l2, dim=-1, keepdim=True))
print(F.log_softmax(l2, -1))
"""

PROGRAMS["ema"] = r"""
import copy
import torch
import torch.nn as nn

torch.manual_seed(0)

class EMA:
    def __init__(self, model, decay=0.9):
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)
    @torch.no_grad()
    def update(self, model):
        for ema_p, p in zip(self.shadow.parameters(), model.parameters()):
            ema_p.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)
        for ema_b, b in zip(self.shadow.buffers(), model.buffers()):
            ema_b.copy_(b)

model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
ema = EMA(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(16, 3); y = x.sum(1, keepdim=True)
for step in range(4):
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    ema.update(model)
    print(step, f"{loss.item():.4f}")
print(ema.shadow[0].weight)
print(ema.shadow[1].running_var, ema.shadow[1].num_batches_tracked)
print(ema.shadow.training, ema.shadow[0].weight.requires_grad)

ema2 = {k: v.clone() for k, v in model.state_dict().items()}
with torch.no_grad():
    for k, v in model.state_dict().items():
        if v.dtype.is_floating_point:
            ema2[k].lerp_(v, 0.5)
            ema2[k].lerp_(torch.zeros_like(v), torch.full_like(v, 0.25))
print(ema2['0.bias'])
print({k: v.dtype for k, v in ema2.items()})
ema_params = [p.detach().clone() for p in model.parameters()]
torch._foreach_mul_(ema_params, 0.99)
torch._foreach_add_(ema_params, list(model.parameters()), alpha=0.01)
print(ema_params[-1])
swa = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
swa.update_parameters(model)
swa.update_parameters(model)
print(swa.n_averaged, swa.module[3].bias)
print(list(swa.state_dict().keys()))
"""

PROGRAMS["vqvae"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

class VectorQuantizer(nn.Module):
    def __init__(self, num_embeddings=8, embedding_dim=4, commitment_cost=0.25):
        super().__init__()
        self._embedding_dim = embedding_dim
        self._num_embeddings = num_embeddings
        self._embedding = nn.Embedding(self._num_embeddings, self._embedding_dim)
        self._embedding.weight.data.uniform_(-1 / self._num_embeddings, 1 / self._num_embeddings)
        self._commitment_cost = commitment_cost
    def forward(self, inputs):
        inputs = inputs.permute(0, 2, 3, 1).contiguous()
        input_shape = inputs.shape
        flat_input = inputs.view(-1, self._embedding_dim)
        distances = (torch.sum(flat_input ** 2, dim=1, keepdim=True)
                     + torch.sum(self._embedding.weight ** 2, dim=1)
                     - 2 * torch.matmul(flat_input, self._embedding.weight.t()))
        encoding_indices = torch.argmin(distances, dim=1).unsqueeze(1)
        encodings = torch.zeros(encoding_indices.shape[0], self._num_embeddings, device=inputs.device)
        encodings.scatter_(1, encoding_indices, 1)
        quantized = torch.matmul(encodings, self._embedding.weight).view(input_shape)
        e_latent_loss = F.mse_loss(quantized.detach(), inputs)
        q_latent_loss = F.mse_loss(quantized, inputs.detach())
        loss = q_latent_loss + self._commitment_cost * e_latent_loss
        quantized = inputs + (quantized - inputs).detach()
        avg_probs = torch.mean(encodings, dim=0)
        perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
        return loss, quantized.permute(0, 3, 1, 2).contiguous(), perplexity, encoding_indices

enc = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, 4, 1))
vq = VectorQuantizer()
dec = nn.Sequential(nn.ConvTranspose2d(4, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))
params = list(enc.parameters()) + list(vq.parameters()) + list(dec.parameters())
opt = torch.optim.Adam(params, lr=1e-3, amsgrad=False)
x = torch.rand(4, 1, 8, 8)
for i in range(4):
    z = enc(x)
    vq_loss, q, perp, idx = vq(z)
    x_rec = dec(q)
    recon = F.mse_loss(x_rec, x) / 0.1
    loss = recon + vq_loss
    opt.zero_grad(); loss.backward(); opt.step()
    print(f"{i} recon {recon.item():.4f} vq {vq_loss.item():.4f} perplexity {perp.item():.4f}")
print(idx.view(4, -1)[:2])
print(idx.dtype, q.shape, q.is_contiguous())
d = torch.cdist(z.permute(0, 2, 3, 1).reshape(-1, 4), vq._embedding.weight)
print(d.shape, d.argmin(1)[:8], d.min(1).values[:4])
print(torch.bincount(idx.flatten(), minlength=8))
print(vq._embedding.weight.grad.abs().sum())
"""

PROGRAMS["cvae"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
class CVAE(nn.Module):
    def __init__(self, x_dim=10, c=3, z=2):
        super().__init__()
        self.c = c
        self.enc = nn.Linear(x_dim + c, 16)
        self.mu = nn.Linear(16, z); self.lv = nn.Linear(16, z)
        self.dec = nn.Sequential(nn.Linear(z + c, 16), nn.ReLU(), nn.Linear(16, x_dim))
    def forward(self, x, y):
        yc = F.one_hot(y, num_classes=self.c).float()
        h = F.relu(self.enc(torch.cat([x, yc], 1)))
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.randn_like(lv) * torch.exp(lv / 2)
        return self.dec(torch.cat([z, yc], dim=-1)), mu, lv

m = CVAE()
x = (torch.rand(12, 10) > 0.5).float()
y = torch.arange(12) % 3
print(x.dtype, y, F.one_hot(y)[:4])
opt = torch.optim.RMSprop(m.parameters(), lr=1e-2)
beta = 4.0
for step in range(5):
    logits, mu, lv = m(x, y)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / x.size(0)
    kld = (-0.5 * (1 + lv - mu.pow(2) - lv.exp())).sum(1).mean()
    loss = rec + beta * kld
    opt.zero_grad(); loss.backward(); opt.step()
    print("step %d | loss %.4f | rec %.4f | kld %.4f" % (step, loss, rec, kld))
with torch.no_grad():
    z = torch.randn(3, 2)
    lbl = torch.tensor([0, 1, 2])
    out = torch.sigmoid(m.dec(torch.cat([z, F.one_hot(lbl, 3).float()], 1)))
    print(out.round(decimals=2))
    print(torch.bernoulli(out))
print(mu.std(0), lv.exp().mean())
"""

PROGRAMS["gumbel"] = r"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
logits = torch.randn(3, 5, requires_grad=True)
y = F.gumbel_softmax(logits, tau=0.5)
print(y)
y_hard = F.gumbel_softmax(logits, tau=1.0, hard=True)
print(y_hard, y_hard.grad_fn)
(y_hard * torch.arange(5.0)).sum().backward()
print(logits.grad)
u = torch.rand(3, 5)
g = -torch.log(-torch.log(u + 1e-20) + 1e-20)
print(F.softmax((logits + g) / 0.3, dim=-1).argmax(-1))
print(torch.distributions.RelaxedOneHotCategorical(torch.tensor(0.5), logits=logits).rsample().shape)
oh = torch.distributions.OneHotCategorical(logits=logits.detach())
s = oh.sample()
print(s, oh.log_prob(s))
"""

PROGRAMS["made"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer('mask', torch.ones(out_features, in_features))
    def set_mask(self, mask):
        self.mask.data.copy_(torch.from_numpy(mask.astype('uint8').T))
    def forward(self, input):
        return F.linear(input, self.mask * self.weight, self.bias)

import numpy as np
torch.manual_seed(0)
rng = np.random.RandomState(0)
nin, hidden = 4, [8, 8]
m = {-1: np.arange(nin)}
for l in range(2):
    m[l] = rng.randint(m[l - 1].min(), nin - 1, size=hidden[l])
masks = [m[l - 1][:, None] <= m[l][None, :] for l in range(2)]
masks.append(m[1][:, None] < m[-1][None, :])
layers = [MaskedLinear(4, 8), nn.ReLU(), MaskedLinear(8, 8), nn.ReLU(), MaskedLinear(8, 4)]
net = nn.Sequential(*layers)
for l, mk in zip([l for l in net if isinstance(l, MaskedLinear)], masks):
    l.set_mask(mk)
print(net)
print(net[0].mask.dtype, net[0].mask.sum(), net[4].mask)
x = (torch.rand(6, 4) > 0.5).float()
opt = torch.optim.Adagrad(net.parameters(), lr=0.1)
for i in range(4):
    logits = net(x)
    loss = F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / 6
    opt.zero_grad(); loss.backward(); opt.step()
    print(i, f"{loss.item():.4f}")
xx = torch.zeros(1, 4)
with torch.no_grad():
    for d in range(4):
        p = torch.sigmoid(net(xx))[0, d]
        xx[0, d] = torch.bernoulli(p)
print(xx)
print(list(net.state_dict().keys()))
"""

PROGRAMS["pixelcnn"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

class MaskedConv2d(nn.Conv2d):
    def __init__(self, mask_type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert mask_type in {'A', 'B'}
        self.register_buffer('mask', self.weight.data.clone())
        _, _, kH, kW = self.weight.size()
        self.mask.fill_(1)
        self.mask[:, :, kH // 2, kW // 2 + (mask_type == 'B'):] = 0
        self.mask[:, :, kH // 2 + 1:] = 0
    def forward(self, x):
        self.weight.data *= self.mask
        return super().forward(x)

torch.manual_seed(0)
fm = 8
net = nn.Sequential(
    MaskedConv2d('A', 1, fm, 5, 1, 2, bias=False), nn.BatchNorm2d(fm), nn.ReLU(True),
    MaskedConv2d('B', fm, fm, 3, 1, 1, bias=False), nn.BatchNorm2d(fm), nn.ReLU(True),
    nn.Conv2d(fm, 4, 1))
print(net)
print(net[0].mask[0, 0])
x = torch.randint(0, 4, (3, 1, 6, 6))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for i in range(3):
    out = net((x.float() / 3))
    loss = F.cross_entropy(out, x.squeeze(1))
    opt.zero_grad(); loss.backward(); opt.step()
    print(i, f"{loss.item():.4f}", out.shape)
net.eval()
sample = torch.zeros(2, 1, 4, 4)
with torch.no_grad():
    for i in range(4):
        for j in range(4):
            out = net(sample / 3)
            probs = F.softmax(out[:, :, i, j], dim=1)
            sample[:, :, i, j] = torch.multinomial(probs, 1).float()
print(sample.squeeze(1))
print(F.cross_entropy(out, torch.zeros(2, 4, 4, dtype=torch.long), reduction='none').shape)
"""

PROGRAMS["ddim_cfg"] = r"""
import torch
import torch.nn as nn

torch.manual_seed(0)
T = 50
betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
alphas_cumprod = torch.cumprod(1.0 - betas, dim=0).float()

class Net(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.emb = nn.Embedding(n_classes + 1, 8)
        self.net = nn.Sequential(nn.Linear(2 + 8 + 1, 32), nn.SiLU(), nn.Linear(32, 2))
    def forward(self, x, t, y):
        return self.net(torch.cat([x, self.emb(y), (t.float() / T).unsqueeze(-1)], -1))

model = Net()
model.eval()

@torch.inference_mode()
def ddim_sample(n, y, steps=5, eta=0.0, guidance=3.0):
    x = torch.randn(n, 2)
    ts = torch.linspace(T - 1, 0, steps).long()
    print(ts)
    for i, t in enumerate(ts):
        tt = t.repeat(n)
        null = torch.full_like(y, 3)
        eps_c = model(x, tt, y)
        eps_u = model(x, tt, null)
        eps = eps_u + guidance * (eps_c - eps_u)
        a_t = alphas_cumprod[t]
        a_prev = alphas_cumprod[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
        dir_xt = (1 - a_prev - sigma ** 2).sqrt() * eps
        x = a_prev.sqrt() * x0 + dir_xt + sigma * torch.randn_like(x)
        print(i, int(t), f"{x.abs().mean().item():.4f}")
    return x

out = ddim_sample(4, torch.tensor([0, 1, 2, 0]))
print(out, out.requires_grad, out.is_inference())
out2 = ddim_sample(2, torch.tensor([1, 1]), eta=1.0)
print(out2)
print(alphas_cumprod.dtype, alphas_cumprod[[0, 10, 49]])
"""

PROGRAMS["beam"] = r"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
V, beam = 6, 3
W = torch.randn(V, V)
def step_logits(tokens):
    return W[tokens[:, -1]]

seqs = torch.zeros(1, 1, dtype=torch.long)
scores = torch.zeros(1)
for t in range(4):
    logp = F.log_softmax(step_logits(seqs), dim=-1)
    cand = scores[:, None] + logp
    flat = cand.view(-1)
    top_scores, top_idx = flat.topk(beam)
    prev = torch.div(top_idx, V, rounding_mode='floor')
    nxt = top_idx % V
    seqs = torch.cat([seqs[prev], nxt.unsqueeze(1)], dim=1)
    scores = top_scores
    print(t, seqs.tolist(), [round(s, 4) for s in scores.tolist()])
# repetition penalty
logits = torch.randn(2, V)
prev_tokens = torch.tensor([[1, 2, 2], [0, 5, 3]])
score = torch.gather(logits, 1, prev_tokens)
score = torch.where(score < 0, score * 1.2, score / 1.2)
logits.scatter_(1, prev_tokens, score)
print(logits)
# min-p / typical filter
probs = logits.softmax(-1)
mask = probs < 0.2 * probs.max(dim=-1, keepdim=True).values
print(logits.masked_fill(mask, float('-inf')))
sorted_probs, idx = torch.sort(probs, dim=-1, descending=True, stable=True)
print(sorted_probs, idx)
cum = sorted_probs.cumsum(-1)
print(cum, torch.searchsorted(cum, torch.tensor([[0.5], [0.9]])))
keep = torch.zeros_like(probs, dtype=torch.bool).scatter_(-1, idx, cum - sorted_probs < 0.8)
print(keep)
print(torch.multinomial(probs * keep, 1, generator=torch.Generator().manual_seed(1)))
"""

PROGRAMS["dists"] = r"""
import torch
import torch.distributions as D

def t(f):
    try:
        print("ok", f())
    except Exception as e:
        print(type(e).__name__, e)

torch.manual_seed(0)
mix = D.Categorical(torch.ones(3,))
comp = D.Independent(D.Normal(torch.randn(3, 2), torch.rand(3, 2) + 0.5), 1)
gmm = D.MixtureSameFamily(mix, comp)
print(gmm)
x = gmm.sample((4,))
print(x, gmm.log_prob(x))
print(gmm.mean, gmm.variance)
print(comp.batch_shape, comp.event_shape, gmm.batch_shape, gmm.event_shape)
base = D.Normal(torch.zeros(2), torch.ones(2))
flow = D.TransformedDistribution(base, [D.transforms.AffineTransform(1.0, 2.0), D.transforms.SigmoidTransform()])
y = flow.sample((3,))
print(y, flow.log_prob(y))
ind = D.Independent(base, 1)
print(ind, ind.log_prob(torch.zeros(2)))
print(D.kl_divergence(D.Independent(D.Normal(torch.ones(2), torch.ones(2)), 1), ind))
lr = D.LowRankMultivariateNormal(torch.zeros(3), torch.randn(3, 1), torch.ones(3))
print(lr.log_prob(torch.ones(3)), lr.covariance_matrix)
t(lambda: D.Normal(torch.zeros(2), torch.tensor([1.0, -1.0])))
t(lambda: D.MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]])))
t(lambda: D.Bernoulli(probs=torch.tensor([0.5])).log_prob(torch.tensor([2.0])))
t(lambda: D.Categorical(probs=torch.tensor([0.2, 0.8])).log_prob(torch.tensor(3)))
t(lambda: D.Normal(0.0, 1.0).log_prob(torch.tensor([0.0, 1.0])))
t(lambda: D.Normal(torch.tensor(0.0), torch.tensor(1.0)).cdf(torch.tensor(0.5)))
t(lambda: D.Beta(torch.tensor(2.0), torch.tensor(3.0)).sample((2,)))
t(lambda: D.Uniform(0.0, 1.0).log_prob(torch.tensor(1.5)))
t(lambda: D.Laplace(0.0, 1.0).rsample((2,)))
t(lambda: D.Normal(torch.zeros(2), torch.ones(2)).expand((3, 2)).batch_shape)
"""

PROGRAMS["ddpm_module"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

class GaussianDiffusion(nn.Module):
    def __init__(self, model, timesteps=6):
        super().__init__()
        self.model = model
        self.num_timesteps = timesteps
        betas = torch.linspace(1e-4, 0.02, timesteps, dtype=torch.float64)
        alphas = 1. - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.)
        register_buffer = lambda name, val: self.register_buffer(name, val.to(torch.float32))
        register_buffer('betas', betas)
        register_buffer('alphas_cumprod', alphas_cumprod)
        register_buffer('alphas_cumprod_prev', alphas_cumprod_prev)
        register_buffer('sqrt_alphas_cumprod', torch.sqrt(alphas_cumprod))
        register_buffer('sqrt_one_minus_alphas_cumprod', torch.sqrt(1. - alphas_cumprod))
        register_buffer('log_one_minus_alphas_cumprod', torch.log(1. - alphas_cumprod))
        register_buffer('sqrt_recip_alphas_cumprod', torch.sqrt(1. / alphas_cumprod))
        posterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)
        register_buffer('posterior_log_variance_clipped', torch.log(posterior_variance.clamp(min=1e-20)))
        self.register_buffer('loss_weight', torch.ones(timesteps), persistent=False)
    @staticmethod
    def extract(a, t, x_shape):
        b, *_ = t.shape
        out = a.gather(-1, t)
        return out.reshape(b, *((1,) * (len(x_shape) - 1)))
    def q_sample(self, x_start, t, noise=None):
        noise = noise if noise is not None else torch.randn_like(x_start)
        return (self.extract(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start +
                self.extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)
    def forward(self, img):
        b = img.shape[0]
        t = torch.randint(0, self.num_timesteps, (b,), device=img.device).long()
        noise = torch.randn_like(img)
        x = self.q_sample(img, t, noise)
        out = self.model(x.flatten(1)).view_as(img)
        loss = F.mse_loss(out, noise, reduction='none')
        loss = loss.mean(dim=[1, 2, 3])
        loss = loss * self.extract(self.loss_weight, t, loss.shape)
        return loss.mean()

torch.manual_seed(0)
diff = GaussianDiffusion(nn.Sequential(nn.Linear(4, 8), nn.Mish(), nn.Linear(8, 4)))
print(diff)
print(list(diff.state_dict().keys()))
print([n for n, _ in diff.named_buffers()])
print(diff.posterior_log_variance_clipped)
print(diff.sqrt_recip_alphas_cumprod.dtype)
opt = torch.optim.Adam(diff.parameters(), lr=1e-3)
img = torch.randn(3, 1, 2, 2)
for i in range(4):
    loss = diff(img)
    opt.zero_grad(); loss.backward(); opt.step()
    print(i, f"{loss.item():.4f}")
diff.half()
print(diff.betas.dtype, diff.model[0].weight.dtype)
print(diff.to(torch.float64).alphas_cumprod)
"""

PROGRAMS["stylegan"] = r"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
class ModulatedConv(nn.Module):
    def __init__(self, cin, cout, k, wdim, demod=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, cout, cin, k, k))
        self.scale = 1 / math.sqrt(cin * k * k)
        self.mod = nn.Linear(wdim, cin)
        self.demod = demod; self.pad = k // 2
    def forward(self, x, w):
        b, c, h, wd = x.shape
        s = self.mod(w).view(b, 1, c, 1, 1)
        weight = self.scale * self.weight * s
        if self.demod:
            d = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * d.view(b, -1, 1, 1, 1)
        weight = weight.view(b * weight.shape[1], c, *weight.shape[3:])
        out = F.conv2d(x.view(1, b * c, h, wd), weight, padding=self.pad, groups=b)
        return out.view(b, -1, h, wd)

class AdaIN(nn.Module):
    def __init__(self, c, wdim):
        super().__init__()
        self.norm = nn.InstanceNorm2d(c)
        self.style = nn.Linear(wdim, 2 * c)
    def forward(self, x, w):
        g, b = self.style(w).unsqueeze(-1).unsqueeze(-1).chunk(2, 1)
        return (1 + g) * self.norm(x) + b

mapping = nn.Sequential(*[m for _ in range(2) for m in (nn.Linear(4, 4), nn.LeakyReLU(0.2))])
conv = ModulatedConv(3, 5, 3, 4)
ada = AdaIN(5, 4)
z = torch.randn(2, 4)
w = mapping(F.normalize(z, dim=1))
x = torch.randn(2, 3, 4, 4)
y = ada(conv(x, w), w)
print(y.shape, y[0, 0])
noise_strength = nn.Parameter(torch.zeros([]))
y = y + noise_strength * torch.randn(2, 1, 4, 4)
y = F.leaky_relu(y, 0.2) * math.sqrt(2)
y.mean().backward()
print(conv.weight.grad.shape, conv.weight.grad.flatten()[:4])
print(noise_strength.grad, mapping[0].weight.grad.norm())
up = F.interpolate(y, scale_factor=2, mode='bilinear', align_corners=False)
print(up.shape, up[0, 0, 0])
ps = nn.PixelShuffle(2)(torch.arange(16.).view(1, 4, 2, 2))
print(ps, nn.PixelUnshuffle(2)(ps).shape)
w_avg = torch.zeros(4)
w_avg.copy_(w.detach().mean(0).lerp(w_avg, 0.995))
print(w_avg)
trunc = w_avg.lerp(w, 0.7)
print(trunc.shape, trunc.grad_fn)
print(F.instance_norm(x, weight=torch.ones(3), bias=torch.zeros(3))[0, 0, 0])
"""


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_prints_the_same(name: str) -> None:
    same_printed(PROGRAMS[name])


@pytest.mark.parametrize("call", [
    lambda L: L.linspace(0, 1),
    lambda L: L.linspace(0),
    lambda L: L.linspace(0.5, 1, dtype=L.float64),
    lambda L: L.linspace(L.tensor(0.0), 1),
    lambda L: L.linspace(0, 1, 3, 4),
    lambda L: L.logspace(0, 1),
    lambda L: L.logspace(0, 1, base=2),
    lambda L: L.logspace(0, 1, 3, 2.0, 5),
])
def test_linspace_without_steps_is_a_parser_error(call) -> None:
    with pytest.raises(TypeError) as et:
        call(torch)
    with pytest.raises(TypeError) as ee:
        call(ember)
    assert str(ee.value) == str(et.value).replace("torch.", "ember.")


def test_linspace_with_steps_still_works() -> None:
    for args in [(0, 1, 5), (0.0, 2.0, 1), (-1, 1, 0)]:
        assert ember.linspace(*args).tolist() == torch.linspace(*args).tolist()
        assert ember.logspace(*args, base=2).tolist() == torch.logspace(*args, base=2).tolist()
