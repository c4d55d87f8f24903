"""The deep extra (`pip install 'advstego[deep]'`): torch, for the deep hiders, the CNN
wardens, the attacks, training, the experiments and the demo; scikit-image (SSIM) and the
packages that ship the sample photos and draw the figures. The core install (hide, reveal,
capacity, embed, the SRM+FLD warden) runs without it; a command that needs it says so in
one line."""

from __future__ import annotations

DEEP = ("torch", "torchvision", "skimage", "pywt", "sklearn", "matplotlib")  # import names
INSTALL = "pip install 'advstego[deep]'"


def missing_deep(exc: BaseException) -> bool:
    """exc is the import of a package of the deep extra that is not installed."""
    return isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in DEEP


def needs_deep(what: str, exc: ModuleNotFoundError) -> str:
    """The one line a command that needs the deep extra answers with."""
    return (f"{what} needs the deep extra ({exc.name.split('.')[0]} is not installed): "
            f"{INSTALL}")
