"""The trained hider: a keyed encoder/decoder network (HidingModel) and the shipped models.

torch and the networks load when a model is built, not when this module is imported.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..images import from_tensor, to_tensor
from ..options import Option, text
from .base import DEFAULT_KEY, KEY_HELP, Hider, as_batch, check_key, check_pair, key_seed, unbatch
from .registry import HIDERS

KIND = "hiding-model"
BUILTIN = "builtin"
# Models shipped in advstego/models, by name and cover channels; "builtin" is DEFAULT.
SHIPPED = {"v1": {1: "gray-v1"}, "v2": {1: "gray-v2", 3: "rgb-v2"},
           "hardened": {1: "gray-hardened"}}  # v2 after min-max hardening (game/play.py)
DEFAULT = "v2"
CHANNELS = Option(int, 1, None, "1 gray, 3 RGB", (1, 3))  # a model file's channels


@HIDERS.register("gan")
class HidingModel(Hider):
    """a trained encoder/decoder network (default: the shipped model)

    Encoder + decoder of a trained GAN, with its JSON config."""
    trainable = True  # an experiment row may train one (hiding/config.py) instead of loading
    has_float_path = True  # hide_float / reveal_float: the stego before 8-bit rounding
    options = {"model": Option(str, None, None, "a .safetensors hiding model, or a shipped "
                               f"one: {', '.join(SHIPPED)} (default: {DEFAULT}, gray or RGB by "
                               "the cover)"),
               "device": Option(str, "cpu", None, "cpu | cuda | auto"),
               "key": Option(text, DEFAULT_KEY, None, KEY_HELP),
               "bf16": Option(bool, False, None, "bf16 autocast where the device has it "
                                                 "natively (AVX512-BF16/AMX CPU, CUDA GPU); "
                                                 "ignored elsewhere")}

    @classmethod
    def from_options(cls, settings, channels):
        model = cls.load(settings["model"] or BUILTIN, settings["device"], settings["bf16"],
                         channels)
        return model.with_key(settings["key"])

    def __init__(self, config: dict, device: str = "cpu", bf16: bool = False):
        self.config = dict(config)
        self.bf16 = bf16  # bf16 autocast for hide/reveal: faster, PSNR within 0.05 dB
        c, s = config["cover_channels"], config["secret_channels"]
        self.cover_channels, self.secret_channels = c, s
        self.arch = config.get("arch", "block")  # files from before v2 have no arch
        self.encoder, self.decoder = networks(config)
        self.name = config.get("name", "gan")
        self.with_key(DEFAULT_KEY)
        self.to(device)

    def per_channel(self) -> "HidingModel":
        """This gray model run on each channel of an RGB image (each channel its own key)."""
        if self.cover_channels != 1 or self.secret_channels != 1:
            raise InputError("per_channel: give a gray (1-channel) model")
        rgb = HidingModel({**self.config, "cover_channels": 3, "secret_channels": 3,
                           "per_channel": True}, device=str(self.device), bf16=self.bf16)
        rgb.encoder.net.load_state_dict(self.encoder.state_dict())
        rgb.decoder.net.load_state_dict(self.decoder.state_dict())
        return rgb

    @property
    def keyed(self) -> bool:
        """Whether the key decides the carrier (v2 models); v1 models ignore it."""
        return self.arch == "ukey"

    def with_key(self, key: str) -> "HidingModel":
        """The shared key of a keyed model (its carrier); other models ignore it. The carrier
        comes from the key's plain hash (base.key_seed): a GAN stego carries no format
        version to change that by, and its reveal cannot tell a right key from a wrong one."""
        from .nets import set_key

        set_key(key_seed(check_key(key)), self.encoder, self.decoder)
        return self

    def to(self, device):
        from ..distributed import pick_device

        self.device = pick_device(str(device))
        self.encoder.to(self.device).eval()
        self.decoder.to(self.device).eval()
        return self

    def _autocast(self):
        import torch

        from ..distributed import native_bf16

        on = self.bf16 and native_bf16(self.device)  # emulated bf16 is far slower: fp32 then
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=on)

    def hide_tensor(self, cover, secret):
        """Float [0, 1] NCHW -> float stego on the 8-bit grid."""
        import torch

        from ..tensors import quantize

        with torch.no_grad(), self._autocast():
            stego = self.encoder(cover.to(self.device), secret.to(self.device)).float()
        return quantize(stego.clamp(0, 1))

    def reveal_tensor(self, stego):
        import torch

        with torch.no_grad(), self._autocast():
            return self.decoder(stego.to(self.device)).float()

    def hide_float(self, covers, secrets, batch_size: int = 16) -> np.ndarray:
        """Float stegos in [0, 1] before rounding (N, H, W[, C]); to measure the rounding cost."""
        cv, _ = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        check_pair(cv, sc)
        import torch

        out = []
        for i in range(0, len(cv), batch_size):
            with torch.no_grad(), self._autocast():
                st = self.encoder(to_tensor(cv[i:i + batch_size]).to(self.device),
                                  to_tensor(sc[i:i + batch_size]).to(self.device))
            out.append(_channels_last(st.float().clamp(0, 1)))
        return np.concatenate(out)

    def reveal_float(self, stegos: np.ndarray) -> np.ndarray:
        """Secrets in [0, 1] revealed from float stegos (N, H, W[, C])."""
        import torch

        x = torch.from_numpy(np.asarray(stegos, dtype=np.float32))
        x = x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)
        return _channels_last(self.reveal_tensor(x).clamp(0, 1))

    def hide(self, covers, secrets, batch_size: int = 16):
        cv, single = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        check_pair(cv, sc)
        out = [from_tensor(self.hide_tensor(to_tensor(cv[i:i + batch_size]),
                                            to_tensor(sc[i:i + batch_size])))
               for i in range(0, len(cv), batch_size)]
        return unbatch(np.concatenate(out), single)

    def reveal(self, stegos, batch_size: int = 16):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        out = [from_tensor(self.reveal_tensor(to_tensor(st[i:i + batch_size])))
               for i in range(0, len(st), batch_size)]
        return unbatch(np.concatenate(out), single)

    def describe(self):
        return {"name": self.name, "method": "gan", "arch": self.arch, **{k: self.config[k] for k in
                ("cover_channels", "secret_channels", "width", "blocks", "per_channel")
                if k in self.config}}

    # ---- files -----------------------------------------------------------
    def state_tensors(self) -> dict:
        from .. import weights

        return {**weights.prefixed(self.encoder.state_dict(), "encoder"),
                **weights.prefixed(self.decoder.state_dict(), "decoder")}

    def save(self, path) -> Path:
        from .. import weights

        return weights.save(path, self.state_tensors(), {"kind": KIND, "config": self.config})

    @classmethod
    def from_tensors(cls, tensors: dict, config: dict, where, device="cpu") -> "HidingModel":
        from .. import weights
        from .config import FLAGS

        # the training spec's own limits (hiding/config.FLAGS); files before v2 have no arch
        config = weights.check_config(config, {
            "cover_channels": CHANNELS, "secret_channels": CHANNELS, "width": FLAGS["width"],
            "blocks": FLAGS["blocks"], "arch": FLAGS["arch"]._replace(default=None),
            "per_channel": Option(bool, None)}, where)
        weights.check_shapes(lambda: _both(*networks(config)), tensors, where)  # before memory
        try:
            model = cls(config, device="cpu")
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{where}: model config is incomplete or invalid") from None
        weights.load_module_state(model.encoder, weights.unprefixed(tensors, "encoder"), where)
        weights.load_module_state(model.decoder, weights.unprefixed(tensors, "decoder"), where)
        return model.to(device)

    @classmethod
    def load(cls, path=BUILTIN, device: str = "cpu", bf16: bool = False,
             channels: int = 1) -> "HidingModel":
        """A model file, or a shipped model by name (its gray or RGB version by channels)."""
        name = str(path)
        path = builtin_path(name, channels) if name in (BUILTIN, *SHIPPED) else Path(path)
        from .. import weights

        tensors, meta = weights.load(path, KIND)
        model = cls.from_tensors(tensors, meta.get("config", {}), path, device)
        model.bf16 = bf16
        return model


def networks(config: dict):
    """(encoder, decoder) of a model config: its architecture at its width and blocks; a
    per-channel model is the gray networks run on each channel of an RGB image."""
    from .nets import PerChannel, hiding_nets

    c, s, arch = config["cover_channels"], config["secret_channels"], config.get("arch", "block")
    if not config.get("per_channel"):
        return hiding_nets(arch, c, s, config["width"], config["blocks"])
    if c != s:
        raise ValueError("a per-channel model hides as many channels as it covers")
    enc, dec = hiding_nets(arch, 1, 1, config["width"], config["blocks"])
    return PerChannel(enc), PerChannel(dec)


def _both(encoder, decoder):
    """One module of the two networks, their state named as in a model file."""
    import torch

    return torch.nn.ModuleDict({"encoder": encoder, "decoder": decoder})


def _channels_last(x) -> np.ndarray:
    x = x.cpu().numpy().astype(np.float64)
    return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)


def builtin_path(name: str = BUILTIN, channels: int = 1) -> Path:
    files = SHIPPED[DEFAULT if name == BUILTIN else name]
    if channels not in files:
        mode = "gray" if channels == 1 else "RGB"
        raise InputError(f"no shipped {name} model for {mode} covers "
                         f"(shipped: {', '.join(f'{n} {sorted(f)}' for n, f in SHIPPED.items())})")
    return Path(str(resources.files("advstego") / "models" / f"{files[channels]}.safetensors"))
