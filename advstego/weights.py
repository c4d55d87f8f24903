"""Weights and training state as safetensors + JSON metadata; never pickle.

torch is optional: a state of NumPy arrays (the SRM+FLD warden's) saves and loads without
it; where torch is installed, load() gives torch tensors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open

from .errors import InputError
from .files import atomic_path, parse_json

META_KEY = "advstego"


def _torch():
    """torch, or None where it is not installed (the core install)."""
    try:
        import torch
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        return None
    return torch


def _is_torch(v) -> bool:
    torch = sys.modules.get("torch")  # a torch tensor means torch is imported
    return torch is not None and isinstance(v, torch.Tensor)


def _tensor(name, v):
    """A state entry to save: a torch tensor (on the CPU) or a NumPy array; else refused."""
    if _is_torch(v):
        return v.detach().contiguous().cpu()
    if isinstance(v, np.ndarray):
        return np.ascontiguousarray(v)
    raise InputError(f"cannot save {name!r}: a state entry must be a torch tensor or a "
                     f"NumPy array, not {type(v).__name__}")


def save(path, tensors: dict, meta: dict) -> Path:
    """Write tensors and a JSON-able dict atomically to one .safetensors file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: _tensor(k, v) for k, v in tensors.items()}
    if any(_is_torch(v) for v in tensors.values()):
        import torch
        from safetensors.torch import save_file

        tensors = {k: v if _is_torch(v) else torch.from_numpy(v) for k, v in tensors.items()}
    else:
        from safetensors.numpy import save_file
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={META_KEY: json.dumps(meta)})
    return path


def _finite(v) -> bool:
    if _is_torch(v):
        return not v.is_floating_point() or bool(v.isfinite().all())
    return not np.issubdtype(v.dtype, np.floating) or bool(np.isfinite(v).all())


def load(path, kind: str | None = None) -> tuple[dict, dict]:
    """Read (tensors, meta); a file that is not one of ours is a clear InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    torch = _torch()
    if torch is None:
        from safetensors.numpy import load_file
    else:
        from safetensors.torch import load_file
    try:
        with safe_open(str(path), framework="pt" if torch else "np") as f:
            raw = (f.metadata() or {}).get(META_KEY)
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"{path}: not a valid advstego model file ({str(exc)[:80]})") from None
    if raw is None:
        raise InputError(f"{path}: a safetensors file, but not an advstego model (no metadata)")
    meta = parse_json(raw, path, "model metadata")  # corrupt or too deep: refused
    if not isinstance(meta, dict):
        raise InputError(f"{path}: model metadata is not a JSON object")
    bad = [k for k, v in tensors.items() if not _finite(v)]
    if bad:
        raise InputError(f"{path}: weights hold NaN or Inf ({bad[0]})")
    if kind is not None and meta.get("kind") != kind:
        raise InputError(f"{path}: is a {meta.get('kind')!r} file, expected {kind!r}")
    return tensors, meta


def prefixed(state: dict, prefix: str) -> dict:
    return {f"{prefix}.{k}": v for k, v in state.items()}


def unprefixed(tensors: dict, prefix: str) -> dict:
    n = len(prefix) + 1
    return {k[n:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def optimizer_state(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict, dict]:
    """Split an optimizer's state dict into tensors and JSON."""
    import torch

    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, st in sd["state"].items():
        for key, val in st.items():
            if torch.is_tensor(val):
                tensors[f"{prefix}.{idx}.{key}"] = val
            else:
                scalars[f"{idx}.{key}"] = val
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def load_optimizer_state(opt: torch.optim.Optimizer, tensors: dict, meta: dict, prefix: str):
    state: dict = {}
    for key, val in unprefixed(tensors, prefix).items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = val
    for key, val in meta["scalars"].items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = val
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def check_config(config, spec: dict, where) -> dict:
    """Metadata read from a file, checked before anything is built from it by the option
    spec of what it describes (name -> options.Option: its type, limits and choices, the
    maxima of the member's own options): every key present (absent only where the option's
    default is None) and in range. The config with them converted (an int read as 8.0: 8)."""
    from .options import value

    if not isinstance(config, dict):
        raise InputError(f"{where}: model metadata is not an object")
    out = dict(config)
    for k, opt in spec.items():
        v = config.get(k)
        try:
            if v is None and opt.default is not None:
                raise ValueError("missing")
            if k in config:
                out[k] = value(opt, v)
        except ValueError as exc:
            raise InputError(f"{where}: metadata {k} = {v!r} is missing or out of range "
                             f"({exc})") from None
    return out


def load_module_state(module: torch.nn.Module, state: dict, where) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise InputError(f"{where}: weights do not fit the model ({first})") from None


def check_shapes(build, tensors: dict, where) -> None:
    """Before a network is built from a file's metadata: build() makes it on the meta device
    (shapes, no memory), and its state must be the file's tensors under the same top-level
    names, key for key and shape for shape; else InputError. Only then is it built for real
    (its memory then is the file's own)."""
    import torch

    try:
        with torch.device("meta"), _no_init():
            want = {k: tuple(v.shape) for k, v in build().state_dict().items()}
    except (RuntimeError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:80]
        raise InputError(f"{where}: its metadata describes no network this toolkit builds "
                         f"({first})") from None
    tops = {k.split(".", 1)[0] for k in want}
    have = {k: tuple(v.shape) for k, v in tensors.items() if k.split(".", 1)[0] in tops}
    for k in sorted(set(want) | set(have)):
        if want.get(k) != have.get(k):
            what = ("missing" if k not in have else "not in the network" if k not in want
                    else f"{list(have[k])} in the file, {list(want[k])} in the metadata's "
                         "network")
            raise InputError(f"{where}: weights do not fit the network its metadata "
                             f"describes ({k}: {what})")


def _no_init():
    """A torch function mode that skips the initialisation of weights (torch.nn.init, and
    normal_, whose meta version loads the compiler: seconds) while a network is built on the
    meta device only for its shapes."""
    import torch
    from torch.overrides import TorchFunctionMode

    class NoInit(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is torch.Tensor.normal_ or (getattr(func, "__module__", "") ==
                                                "torch.nn.init" and func.__name__.endswith("_")):
                return args[0] if args else kwargs.get("tensor")
            return func(*args, **kwargs)

    return NoInit()
