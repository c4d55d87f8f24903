"""The detector family: `@DETECTORS.register(name)` in a module of this package, and its
line here."""

from ..registry import Registry

DETECTORS = Registry("detector", {
    "srm-fld": "advstego.steganalysis.ensemble",
    "srmq1-fld": "advstego.steganalysis.ensemble",
    "dctr-fld": "advstego.steganalysis.jpeg_fld",
    "gfr-fld": "advstego.steganalysis.jpeg_fld",
    "xunet": "advstego.steganalysis.cnn",
    "srnet": "advstego.steganalysis.cnn",
})

# The wardens a game or a script trains unless told otherwise (names in the table above).
DEFAULT_CNN = "xunet"
DEFAULT_FEATURES = "srmq1-fld"
DEFAULT_JPEG_FEATURES = "dctr-fld"  # a JPEG game's feature warden (game/config.py)
