"""Hiding networks (cover + secret -> stego, stego -> secret); the wardens' networks
(the GAN's discriminator among them) live in steganalysis/nets.py.

Architectures, picked by name (ARCHS, a model config's "arch"):
- "block" (v1): works on 2x2 pixel blocks (pixel unshuffle -> convs -> pixel shuffle).
  Cheap, but each 2x2 block is written from one vector: the residual carries a 2x2
  periodic pattern, a fingerprint any high-pass steganalyzer sees. The period is what
  makes it learn fast: it is a carrier the decoder can demodulate.
- "unet": a U-Net with skip connections, bilinear upsampling and its last layers at full
  resolution. Translation-equivariant, it has no carrier to write on but the cover's own
  texture, and learns slowly.
- "ukey" (v2): the same U-Net given a keyed +-1 white carrier k (a shared key, like a
  stego key): the encoder writes r = tanh(a k + b), the decoder reads its first features
  times k. A carrier with no period: no grid peaks, and a wrong key reads noise.
The U-Nets' first conv runs in fp32 under bf16 autocast (bf16 keeps 8 significant bits:
a grey level near 1.0 is off by up to half a level, as large as the residual to read).
Encoders output a residual added to the cover (stego = cover + r), bounded
(|r| < max_change) and starting from r = 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

class HidingNet(nn.Module):
    """A hiding network (encoder or decoder). Keyed ones read their carrier from `key`."""
    keyed = False
    key = 0


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


class Encoder(HidingNet):
    """v1 encoder (block)."""
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


class Decoder(HidingNet):
    """v1 decoder (block)."""

    def __init__(self, cover_channels=1, secret_channels=1, width=64, blocks=4):
        super().__init__()
        self.net = BlockNet(cover_channels, secret_channels, width, blocks)

    def forward(self, stego):
        return torch.sigmoid(self.net(stego))


def _act():
    return nn.LeakyReLU(0.2, inplace=True)


def _two_convs(c_in, c_out, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1), _act(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), _act())


def carrier(like: torch.Tensor, key: int, channels: int = 1) -> torch.Tensor:
    """Keyed +-1 white patterns (1, channels, H, W) the size of `like`: carriers known to both
    sides, one per cover channel, with no period: the residual needs no 2x2 structure to be
    readable."""
    g = torch.Generator().manual_seed(int(key))
    k = torch.randint(0, 2, (1, channels, *like.shape[-2:]), generator=g).float() * 2 - 1
    return k.to(like.device)


class UNet(nn.Module):
    """Full-resolution U-Net: widths w, 2w, .. 2^depth w; stride-2 convs down, bilinear up.

    With carriers k (C channels), the first features F become [F, F * k_1, .., F * k_C]
    (demodulation by the key)."""

    def __init__(self, c_in: int, c_out: int, width: int, depth: int, carriers: int = 0):
        super().__init__()
        ws = [width * 2 ** i for i in range(depth + 1)]
        self.first = nn.Conv2d(c_in, ws[0], 3, padding=1)  # fp32 (see module docstring)
        self.inc = nn.Sequential(_act(), nn.Conv2d(ws[0] * (1 + carriers), ws[0], 3, padding=1),
                                 _act())
        self.downs = nn.ModuleList(_two_convs(ws[i], ws[i + 1], 2) for i in range(depth))
        self.ups = nn.ModuleList(_two_convs(ws[i + 1] + ws[i], ws[i]) for i in range(depth))
        self.out = nn.Conv2d(ws[0], c_out, 3, padding=1)
        for m in self.modules():  # He init: PyTorch's default shrinks the signal ~3x a layer,
            if isinstance(m, nn.Conv2d):  # and the encoder's gradients fall to Adam's eps
                nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, x, k=None):
        with torch.autocast(x.device.type, enabled=False):
            y = self.first(x.float() - 0.5)
            if k is not None:
                y = torch.cat([y] + [y * k[:, i:i + 1] for i in range(k.shape[1])], 1)
        skips = [self.inc(y)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = skips.pop()
        for up in reversed(self.ups):
            skip = skips.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = up(torch.cat([y, skip.to(y.dtype)], 1))
        return self.out(y)


class UNetEncoder(HidingNet):
    """v2 encoder (unet); `blocks` is the U-Net's depth. Keyed (ukey): r = tanh(a k + b),
    a and b from the U-Net, k the carrier of `self.key`."""
    max_change = Encoder.max_change

    def __init__(self, cover_channels=1, secret_channels=1, width=16, blocks=3, keyed=False):
        super().__init__()
        self.keyed, self.key, self.c = keyed, 0, cover_channels
        self.net = UNet(cover_channels + secret_channels, cover_channels * (1 + keyed), width,
                        blocks, cover_channels if keyed else 0)
        nn.init.zeros_(self.net.out.weight)
        nn.init.zeros_(self.net.out.bias)

    def forward(self, cover, secret):
        k = carrier(cover, self.key, self.c) if self.keyed else None
        o = self.net(torch.cat([cover, secret], 1), k).float()
        if k is not None:
            o = o[:, :self.c] * k + o[:, self.c:]
        return cover + self.max_change * torch.tanh(o)


class UNetDecoder(HidingNet):
    """v2 decoder (unet; keyed: reads with the carrier of `self.key`)."""

    def __init__(self, cover_channels=1, secret_channels=1, width=16, blocks=3, keyed=False):
        super().__init__()
        self.keyed, self.key, self.c = keyed, 0, cover_channels
        self.net = UNet(cover_channels, secret_channels, width, blocks,
                        cover_channels if keyed else 0)

    def forward(self, stego):
        k = carrier(stego, self.key, self.c) if self.keyed else None
        return torch.sigmoid(self.net(stego, k).float())


# name -> (encoder class, decoder class, their extra settings)
ARCHS = {"block": (Encoder, Decoder, {}), "unet": (UNetEncoder, UNetDecoder, {}),
         "ukey": (UNetEncoder, UNetDecoder, {"keyed": True})}


def hiding_nets(arch: str, cover_channels: int, secret_channels: int, width: int, blocks: int):
    """(encoder, decoder) of an architecture named in ARCHS."""
    enc, dec, extra = ARCHS[arch]
    return (enc(cover_channels, secret_channels, width, blocks, **extra),
            dec(cover_channels, secret_channels, width, blocks, **extra))


class PerChannel(HidingNet):
    """A one-channel hiding net (encoder or decoder) run on each channel of an RGB image, each
    channel with its own key (key + c): RGB in RGB with the gray model, as conseal embeds
    RGB per channel. Independent carriers keep the channels' residuals uncorrelated."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net, self.keyed, self.key = net, True, 0

    def forward(self, *images):
        out = []
        for c in range(images[0].shape[1]):
            set_key((self.key + c) % 2 ** 63, self.net)
            out.append(self.net(*(x[:, c:c + 1] for x in images)))
        return torch.cat(out, 1)


def set_key(key: int, *nets):
    """The carrier key of keyed hiding nets (the others ignore it)."""
    for n in nets:
        if n.keyed:
            n.key = int(key)
