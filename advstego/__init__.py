"""advstego: deep-learning image steganography hardened against steganalyzers."""

__version__ = "0.1.0"
