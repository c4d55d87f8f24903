"""The wardens' networks: a Xu-Net-style steganalyzer (cnn.py's "xunet"; the GAN's
discriminator, game/gan.py)."""

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

