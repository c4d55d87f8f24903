"""Encoder (cover + secret -> stego), decoder (stego -> secret), Xu-Net-style discriminator.

Both hiding nets work on 2x2 pixel blocks (pixel unshuffle): a 3x3 conv then sees a
6x6 window, each layer costs a quarter, and the encoder can place its residual in
block patterns a natural cover rarely holds. The encoder outputs a residual added
to the cover (stego = cover + r), bounded (|r| < max_change) and starting from r = 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Ker-Vitoux (KV) 5x5 high-pass kernel, the fixed front end of Xu-Net and SRM.
KV = torch.tensor([[-1, 2, -2, 2, -1],
                   [2, -6, 8, -6, 2],
                   [-2, 8, -12, 8, -2],
                   [2, -6, 8, -6, 2],
                   [-1, 2, -2, 2, -1]], dtype=torch.float32) / 12.0


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.c1 = nn.Conv2d(width, width, 3, padding=1)
        self.c2 = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x):
        return x + self.c2(F.leaky_relu(self.c1(x), 0.2))


class BlockNet(nn.Module):
    """unshuffle(2) -> conv -> residual blocks -> conv -> shuffle(2)."""

    def __init__(self, c_in: int, c_out: int, width: int, blocks: int):
        super().__init__()
        self.head = nn.Conv2d(4 * c_in, width, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(width) for _ in range(blocks)])
        self.tail = nn.Conv2d(width, 4 * c_out, 3, padding=1)

    def forward(self, x):
        h, w = x.shape[-2:]
        x = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
        y = F.leaky_relu(self.head(F.pixel_unshuffle(x, 2)), 0.2)
        y = F.pixel_shuffle(self.tail(self.body(y)), 2)
        return y[..., :h, :w]


class Encoder(nn.Module):
    max_change = 0.1  # residual bound on [0, 1]: +-25 grey levels

    def __init__(self, cover_channels=1, secret_channels=1, width=64, blocks=4):
        super().__init__()
        self.net = BlockNet(cover_channels + secret_channels, cover_channels, width, blocks)
        nn.init.zeros_(self.net.tail.weight)
        nn.init.zeros_(self.net.tail.bias)

    def forward(self, cover, secret):
        """Float stego (not yet clamped or rounded)."""
        r = torch.tanh(self.net(torch.cat([cover, secret], 1)))
        return cover + self.max_change * r


class Decoder(nn.Module):
    def __init__(self, cover_channels=1, secret_channels=1, width=64, blocks=4):
        super().__init__()
        self.net = BlockNet(cover_channels, secret_channels, width, blocks)

    def forward(self, stego):
        return torch.sigmoid(self.net(stego))


class XuNetLike(nn.Module):
    """Xu-Net-style steganalyzer: fixed KV high-pass, ABS, TanH, BN, pooling; 2 logits."""

    def __init__(self, channels=1, width=8):
        super().__init__()
        self.register_buffer("kv", KV.expand(channels, 1, 5, 5).clone(), persistent=False)
        self.channels = channels
        w = width

        def group(cin, cout, k, act):
            return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
                                 nn.BatchNorm2d(cout), act)

        self.g1 = nn.Conv2d(channels, w, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.g2 = group(w, 2 * w, 5, nn.Tanh())
        self.g3 = group(2 * w, 4 * w, 1, nn.ReLU())
        self.g4 = group(4 * w, 8 * w, 1, nn.ReLU())
        self.g5 = group(8 * w, 16 * w, 1, nn.ReLU())
        self.fc = nn.Linear(16 * w, 2)

    def forward(self, x):
        x = F.conv2d(x * 255.0, self.kv, padding=2, groups=self.channels)
        x = torch.tanh(self.bn1(torch.abs(self.g1(x))))
        x = F.avg_pool2d(x, 5, 2, 2)
        for g in (self.g2, self.g3, self.g4):
            x = F.avg_pool2d(g(x), 5, 2, 2)
        x = self.g5(x).mean((2, 3))
        return self.fc(x)

