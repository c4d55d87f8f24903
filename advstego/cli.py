"""advstego: hide a secret image inside a cover image, reveal it, and measure how well
steganalyzers see it — always on the 8-bit file a stego really is."""

# The command line only parses arguments, calls the package and maps errors to exit codes.
# Each command is its arguments and its handler, side by side; nothing heavy (torch, numba,
# sealwatch) is imported until a handler needs it, so `--help` answers at once.

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from pathlib import Path

from .errors import InputError
from .options import Option, flag_type, list_flag_type


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# shown escaped: controls, format characters (bidi overrides, zero-width...) and line breaks
_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}


def _one_line(text) -> str:
    """A message on one line, safe on a terminal: newlines, escape sequences, the other
    control characters and format characters such as a bidi override (in a file name, say)
    are shown escaped."""
    import unicodedata

    text = "".join(_escaped(c) if unicodedata.category(c) in _HIDDEN else c for c in str(text))
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # undecodable names


def _escaped(c: str) -> str:
    """One character as Python writes it escaped: \\n, \\x1b, \\u202e."""
    return _ESCAPES.get(c) or c.encode("unicode_escape").decode("ascii")


def _json(report) -> str:
    """A report as JSON proper: a non-finite number (the infinite PSNR of identical images)
    is null, never `Infinity`."""
    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return [fix(x) for x in v] if isinstance(v, (list, tuple)) else v
    return json.dumps(fix(report), allow_nan=False)


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    print(f"advstego: warning: {_one_line(message)}", file=sys.stderr)


# Every number on the command line is typed by an option spec (options.flag_type): the
# member's own where it has one (a hider's payload, data prepare's sizes), else one here.
SEED = flag_type(Option(int, 0))
COUNT0 = flag_type(Option(int, 0, 0))  # a count where 0 means "all" or "no limit"

COMMANDS: list[tuple[str, str, object, object]] = []  # (name, help, add arguments, handler)


def command(name: str, help: str, arguments=None):
    """Register a handler as `advstego NAME` ("data prepare": a subcommand), its arguments
    declared by the function `arguments(parser)` written just above it."""
    def add(handler):
        COMMANDS.append((name, help, arguments, handler))
        return handler
    return add


def _check_out(path, *inputs):
    """An output file that is none of the command's inputs, in a folder it can be written
    in."""
    from .paths import output_file, writable

    _distinct(path, *inputs)
    out = output_file(path)
    writable(out)
    return out


def _distinct(out, *inputs):
    """Refuse an output (file or folder) that is, or holds, one of the inputs."""
    from .paths import not_an_input

    not_an_input(out, *[i for i in inputs if i])


# ---- data ---------------------------------------------------------------

def prepare_args(p):
    from .data.prepare import FRACTION, OPTIONS

    def flag(name):  # data prepare's own spec: the same checks as prepare() and configs
        return flag_type(OPTIONS[name])

    p.add_argument("--source", required=True,
                   help="sample | debian-photos | photos (both) | bossbase | lfw | FOLDER")
    p.add_argument("--root", help="the BOSSbase or LFW folder")
    p.add_argument("--size", type=flag("size"), default=OPTIONS["size"].default,
                   help=OPTIONS["size"].help)
    p.add_argument("--gray", action="store_true", help="gray corpus (default RGB)")
    p.add_argument("--convert", action="store_true",
                   help="RGB photos become gray in a gray corpus; gray photos are skipped in an RGB one")
    p.add_argument("--crop", choices=OPTIONS["crop"].choices, default=OPTIONS["crop"].default,
                   help=OPTIONS["crop"].help)
    for name in ("resize", "downsample", "min_std", "max_tiles"):
        p.add_argument(f"--{name.replace('_', '-')}", type=flag(name),
                       default=OPTIONS[name].default, help=OPTIONS[name].help)
    p.add_argument("--allow-traces", action="store_true", help=OPTIONS["allow_traces"].help)
    p.add_argument("--jpeg", type=flag("jpeg"), default=0, metavar="QF",
                   help=OPTIONS["jpeg"].help)
    p.add_argument("--limit", type=COUNT0, default=0, help="use the first N photos only")
    p.add_argument("--split", type=list_flag_type(FRACTION, (3, 4)), default=(0.7, 0.15, 0.15),
                   help="train,val,test fractions, or alice,train,val,test: a fourth part of "
                        "the photos for the wardens an adversary attacks (harden)")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="replace a non-empty --out")


@command("data prepare", "crop, split by photo and pair a corpus", prepare_args)
def cmd_data_prepare(a):
    from .data.prepare import PrepareConfig, prepare, summary
    from .data.sources import photos_for

    source = a.source
    if source in ("bossbase", "lfw"):
        if not a.root:
            raise InputError(f"--source {source} needs --root FOLDER")
        source = f"{source}:{a.root}"
    fractions = a.split
    if abs(sum(fractions) - 1) > 1e-6:
        raise InputError(f"--split {a.split!r}: give three or four fractions summing to 1, "
                         "e.g. 0.7,0.15,0.15")
    cfg = PrepareConfig(source=source, size=a.size, mode="gray" if a.gray else "rgb",
                        crop=a.crop, resize=a.resize, min_std=a.min_std,
                        max_tiles=a.max_tiles, fractions=fractions, seed=a.seed,
                        downsample=a.downsample, allow_traces=a.allow_traces, jpeg=a.jpeg)
    curated = a.source in ("sample", "debian-photos", "photos")
    _distinct(a.out, None if curated or a.source in ("bossbase", "lfw") else a.source, a.root)
    photos = photos_for(source)
    if a.limit:
        photos = photos[: a.limit]
    prepare(photos, cfg, a.out, force=a.force, convert_rgb=a.convert or curated)
    _print_summary(a.out, summary(a.out))


def _print_summary(folder, s):
    print(f"{folder}: {s['images']} images, {s['size']}x{s['size']} {s['mode']}")
    for split, v in s["splits"].items():
        print(f"  {split:5s}: {v['images']:5d} images from {v['photos']:4d} photos, "
              f"{v['pairs']:5d} cover/secret pairs")
    if any(s["skipped"].values()):
        print("  skipped: " + ", ".join(f"{k} {v}" for k, v in s["skipped"].items()))
    shrunk = s.get("downsampled") or {}
    if shrunk.get("photos") and shrunk.get("factor"):
        print(f"  {shrunk['photos']} photos shrunk {shrunk['factor']} times before tiling "
              "(antialiased: a JPEG's lattice does not survive it)")
    from .data.traces import describe

    print(f"  {describe(s.get('traces') or {})}")
    if s.get("jpeg"):
        j = s["jpeg"]
        print(f"  JPEG covers: quality {j['quality']}, libjpeg's tables ({j['library']}), "
              f"{'colour ' + j['chroma'] if j['chroma'] else 'gray'}, each compressed once "
              "from its tile")


def info_args(p):
    p.add_argument("folder")
    p.add_argument("--json", action="store_true")


@command("data info", "counts, sizes, modes and splits of a prepared corpus", info_args)
def cmd_data_info(a):
    from .data.prepare import summary

    s = summary(a.folder)
    if a.json:
        print(json.dumps(s, indent=1))
    else:
        _print_summary(a.folder, s)


# ---- hiding -------------------------------------------------------------

def hider_args(p, default="stc", note=None):
    """--method (default: default, or None where the file decides: note says how), the
    hiders' settings and --key-file."""
    from .hiding.registry import HIDERS, hider_options
    from .options import add_flags

    p.add_argument("--method", choices=HIDERS.names(), default=default,
                   help="; ".join(f"{n}: {HIDERS.get(n)[0].__doc__.splitlines()[0].rstrip('.')}"
                                  for n in HIDERS.names()) + f" (default {note or default})")
    add_flags(p, hider_options(), defaults=False)  # None: not given (_hider_settings)
    key_file_arg(p)


def key_file_arg(p):
    """--key-file beside --key, whose default is None: keys.resolve_key tells none given."""
    p.add_argument("--key-file", type=_key_file, help="read the shared key from this file "
                   "(one trailing newline dropped); also: ADVSTEGO_KEY, --key -")
    p.set_defaults(key=None)


def _key_file(path: str) -> str:
    """A --key-file names a file (a pipe too: <(...)), refused at once if it is a folder or
    missing: the key file is an input, its folder is not."""
    if path and os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{path}: a folder, not a file")
    if path and not os.path.exists(path):
        raise argparse.ArgumentTypeError(f"{path}: no such file")
    return path


def _read_key(a, default):
    """a.key from --key, --key-file, ADVSTEGO_KEY or the prompt (keys.py), else default;
    a.key_source says which."""
    from .keys import resolve_key

    key, a.key_source = resolve_key(a.key, a.key_file)
    a.key = default if key is None else key


def _hider_settings(a) -> dict:
    """The hider flags given, for --method; a flag that --method does not take is refused,
    never ignored (the key: _key_warning)."""
    from .hiding.registry import HIDERS, hider_options

    cls, _ = HIDERS.get(a.method)
    given = {k: getattr(a, k) for k in hider_options() if getattr(a, k, None) is not None}
    for k in given:
        if k not in cls.options and k != "key":
            takers = [n for n in HIDERS.names() if k in HIDERS.get(n)[0].options]
            raise InputError(f"--{k.replace('_', '-')}: --method {a.method} does not take it "
                             f"(it goes with --method {' or '.join(takers)})")
    if "quality" in given and "payload" in given:
        raise InputError(f"--payload {given['payload']:g} and --quality {given['quality']}: "
                         "give one (--quality fixes the secret's encoding whatever the "
                         "payload; --payload lets the codec's quality fit it)")
    return {k: v for k, v in given.items() if k in cls.options}


def _hider(a, channels=1, **given):
    """The hider --method names, with its flags (given: load_hider's secret_channels,
    adversary)."""
    from .hiding.registry import load_hider

    return load_hider(a.method, channels, **given, **_hider_settings(a))


def _peek_mode(path) -> str:
    """An image file's real mode: gray stored as RGB (WebP, a gray GIF) counts as gray."""
    from .images import natural_mode, read_image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return natural_mode(read_image(path, None))


def _hider_and_image(a, path, convert=False, gray=False):
    """The hider for an image's mode (gray or RGB; gray: gray whatever the image) and the
    image read in the hider's mode (a first look chooses the mode; warnings come on the real
    read)."""
    from .images import mode_of, read_image

    hider = _hider(a, 1 if gray or _peek_mode(path) == "gray" else 3)
    return hider, read_image(path, mode_of(hider.cover_channels), convert=convert)


def _key_warning(a, hider):
    """A hide whose key protects nothing: the public default key, or a hider with no key."""
    from .hiding.base import DEFAULT_KEY

    given = a.key_source != "default"
    if hider.keyed and a.key == DEFAULT_KEY:
        warnings.warn(f"the key given (by {a.key_source}) is the public default key: anyone "
                      "with advstego can reveal this secret; choose your own key" if given else
                      "no key given: the default key is public, anyone with advstego can "
                      "reveal this secret (give --key-file F, ADVSTEGO_KEY or --key -)")
    elif given and not hider.keyed:
        warnings.warn(f"--method {a.method} ({hider.name}) is not keyed: the key from "
                      f"{a.key_source} is ignored, anyone with advstego can reveal this secret")


def hide_args(p):
    from .attacks.registry import ADVERSARIES

    p.add_argument("--cover", required=True)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--secret", help="the secret image")
    what.add_argument("--file", help="STC: any file, carried with its name")
    p.add_argument("-o", "--output", required=True,
                   help="stego image (.png; .jpg for a JPEG cover)")
    p.add_argument("--resize-secret", action="store_true",
                   help="gan / lsb: resize a secret of another size to the cover's size "
                        "(stc takes a secret of any size)")
    p.add_argument("--convert", action="store_true", help="convert RGB inputs to gray (or back)")
    p.add_argument("--force-lossy", action="store_true", help="allow a lossy output format")
    p.add_argument("--pixels-of-jpeg", action="store_true",
                   help="hide in a cover that is (or was) a JPEG all the same: its decompressed "
                        "pixels' changes are detectable without a model (JPEG compatibility)")
    p.add_argument("--adversarial", action="store_true",
                   help="STC: adversarial costs (ADV-EMB) against the shipped wardens; in the "
                        "study (results/README.md) no scheme (ADV-EMB, min-max, Backpack) beat "
                        "plain costs against a retrained SRM+FLD, so plain costs stay the "
                        "default")
    p.add_argument("--wardens", help="STC: adversarial costs against these: a folder of CNN "
                                     "wardens or an `advstego harden --method stc` run (a JPEG "
                                     "cover: a `harden --method jpeg` run's)")
    p.add_argument("--scheme", choices=ADVERSARIES.names(),
                   help="STC, JPEG: the adversarial scheme (default: the strategy's, else "
                        "published ADV-EMB)")
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    hider_args(p, None, "jpeg for a JPEG cover, else stc")


@command("hide", "hide a secret image (or, with stc, a file) in a cover image", hide_args)
def cmd_hide(a):
    import numpy as np
    from PIL import Image

    from .hiding.base import DEFAULT_KEY
    from .hiding.registry import hider_has, the_hider_that
    from .files import file_to_hide
    from .images import mode_of, read_image, write_image

    src = file_to_hide(a.file) if a.file else None  # a folder, a FIFO, a name that cannot travel
    out = _check_out(a.output, a.cover, a.secret, a.file, a.model, a.wardens, a.key_file)
    a.method = a.method or _method_for(a.cover, a.pixels_of_jpeg)
    if hider_has(a.method, "jpeg_files"):
        return _hide_jpeg(a, out, src)
    _check_stego_format(out, a.force_lossy)
    _jpeg_cover(a.cover, None, a.pixels_of_jpeg)  # a JPEG file: refused before any work
    if a.file and not hider_has(a.method, "sealed"):
        raise InputError(f"--file: --method {a.method} carries images only (use --method "
                         f"{the_hider_that('sealed')})")
    if a.file and (a.codec is not None or a.quality is not None):
        raise InputError(f"--{'codec' if a.codec is not None else 'quality'}: a --file is "
                         "carried as it is, not compressed (leave it out)")
    _read_key(a, DEFAULT_KEY)
    adversarial = bool(a.adversarial or a.wardens)
    channels = 1 if a.convert and adversarial or _peek_mode(a.cover) == "gray" else 3
    if a.scheme and not adversarial:
        raise InputError("--scheme goes with --adversarial or --wardens")
    any_size = hider_has(a.method, "any_secret_size")
    if a.resize_secret and any_size:
        raise InputError(f"--resize-secret: --method {a.method} takes a secret of any size "
                         "(leave it out)")
    adversary = secret = None
    if adversarial:
        if not hider_has(a.method, "takes_adversarial_costs"):
            raise InputError(f"--adversarial / --wardens: --method {a.method} takes no costs "
                             f"(use --method "
                             f"{the_hider_that('takes_adversarial_costs', jpeg_files=False)})")
        if channels == 3:
            raise InputError(f"{a.cover}: --adversarial / --wardens: the wardens judge gray "
                             "covers only (use --convert, or leave out --adversarial)")
        from .attacks.strategy import load_adversary

        adversary = load_adversary(a.wardens, **({"scheme": a.scheme} if a.scheme else {}))
    if a.secret and any_size:  # taken as it is: the hider is told its channels
        secret = read_image(a.secret, None, convert=a.convert)
    hider = _hider(a, channels, adversary=adversary,
                   secret_channels=None if secret is None else 1 if secret.ndim == 2 else 3)
    cover = read_image(a.cover, mode_of(hider.cover_channels), convert=a.convert)
    _jpeg_cover(a.cover, cover, a.pixels_of_jpeg)
    _key_warning(a, hider)
    report = {"output": str(out), "method": a.method, "hider": hider.name}
    if a.file:
        stego, info = hider.hide_file(cover, _read_bytes(src), src.name)
    else:
        if not any_size:
            secret = read_image(a.secret, mode_of(hider.secret_channels), convert=a.convert)
        if not any_size and secret.shape[:2] != cover.shape[:2]:
            (ch, cw), (sh, sw) = cover.shape[:2], secret.shape[:2]
            if not a.resize_secret:
                what = "smaller than" if ch < sh or cw < sw else "a different size from"
                raise InputError(f"{a.cover}: cover ({cw}x{ch}) is {what} the secret "
                                 f"({sw}x{sh}); pass --resize-secret to resize the secret")
            print(f"advstego: notice: secret resized from {sw}x{sh} to {cw}x{ch}",
                  file=sys.stderr)
            secret = np.array(Image.fromarray(secret).resize((cw, ch), Image.Resampling.LANCZOS))
        stego, info = hider.hide_info(cover, secret)
    write_image(out, stego, allow_lossy=a.force_lossy)
    from .hiding.codec import psnr

    written = read_image(out, mode_of(hider.cover_channels))  # what the file holds
    if not np.array_equal(written, stego):  # a lossy format: said, and checked by revealing
        warnings.warn(_lossy_loss(hider, out, stego, written))
    report["stego_psnr"] = round(psnr(cover, written), 2)
    report |= {k: (round(v, 4) if isinstance(v, float) else v) for k, v in info.items()
               if k in ("kind", "name", "codec", "quality", "bytes", "encoded_size",
                        "secret_psnr", "capacity_used", "changes")}
    if "adversarial" in info:  # the adversary's search: its scheme, whether the pool is fooled
        adv = info["adversarial"]
        report["adversarial"] = {k: adv[k] for k in ("scheme", "fooled", "score_plain", "score",
                                                     "share", "embeddings") if k in adv}
    if a.json:
        print(_json(report))
        return
    line = f"{out}: stego written ({hider.name}), stego PSNR {report['stego_psnr']:.2f} dB"
    if "bytes" in info and info.get("kind") == "file":
        line += f"; {info['name']}: {info['bytes']} bytes"
    elif "bytes" in info:
        line += (f"; secret as {info['codec']} q{info['quality']} at "
                 f"{info['encoded_size'][1]}x{info['encoded_size'][0]}, {info['bytes']} bytes, "
                 f"secret PSNR {info['secret_psnr']:.2f} dB")
    if "capacity_used" in info:
        line += f"; {100 * info['capacity_used']:.0f}% of the payload used"
    print(_one_line(line))


def _method_for(path, pixels_of_jpeg=False) -> str:
    """The default method for a cover or stego file: the JPEG hider for a JPEG file (unless
    its pixels are asked for), else the sealed pixel hider."""
    from .data.traces import is_jpeg
    from .hiding.registry import the_hider_that

    jpeg = is_jpeg(path) and not pixels_of_jpeg
    return the_hider_that("jpeg_files" if jpeg else "sealed")


def _hide_jpeg(a, out, src):
    """hide in a JPEG cover's DCT coefficients: a JPEG stego with the cover's tables."""
    from .data import jpeg_io
    from .data.traces import is_jpeg
    from .hiding.base import DEFAULT_KEY
    from .images import read_image

    if not is_jpeg(a.cover):
        raise InputError(f"{a.cover}: not a JPEG; --method {a.method} hides in a JPEG's DCT "
                         "coefficients (leave --method out for this cover)")
    if out.suffix.lower() not in (".jpg", ".jpeg"):
        raise InputError(f"{a.cover} is a JPEG: its stego is a JPEG too (the secret goes in "
                         f"its DCT coefficients), not {out.name}: write -o NAME.jpg; or pass "
                         "--pixels-of-jpeg to hide in its decompressed pixels, whose ±1 changes "
                         "are detectable without a model (JPEG-compatibility attack)")
    for flag in ("pixels_of_jpeg", "resize_secret", "convert", "force_lossy"):
        if getattr(a, flag):
            raise InputError(f"--{flag.replace('_', '-')}: --method {a.method} does not take it "
                             "(it hides in a JPEG's coefficients, the cover's colours kept)")
    if a.adversarial:
        raise InputError(f"--adversarial: the shipped wardens judge pixels; --method {a.method} "
                         "takes the wardens of a JPEG game (--wardens RUN of `advstego harden "
                         f"--method {a.method}`)")
    if a.scheme and not a.wardens:
        raise InputError("--scheme goes with --wardens")
    if a.file and (a.codec is not None or a.quality is not None):
        raise InputError(f"--{'codec' if a.codec is not None else 'quality'}: a --file is "
                         "carried as it is, not compressed (leave it out)")
    _read_key(a, DEFAULT_KEY)
    adversary = None
    if a.wardens:  # a JPEG game's strategy: costs of the coefficients (hiding/jpeg.JpegJob)
        from .attacks.strategy import load_adversary

        adversary = load_adversary(a.wardens, **({"scheme": a.scheme} if a.scheme else {}))
    hider = _hider(a, adversary=adversary)
    cover = jpeg_io.read(a.cover)
    _key_warning(a, hider)
    if a.file:
        stego, info = hider.hide_file(cover, _read_bytes(src), src.name)
    else:
        stego, info = hider.hide_info(cover, read_image(a.secret, None))
    jpeg_io.write(stego, out)
    if cover.header.restart:
        print(f"advstego: notice: {_one_line(a.cover)}: its restart markers are left out of "
              "the stego (they change no coefficient)", file=sys.stderr)
    report = {"output": str(out), "method": a.method, "hider": hider.name,
              "progressive": cover.header.progressive,
              **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in info.items()
                 if k in ("kind", "name", "codec", "quality", "bytes", "encoded_size",
                          "secret_psnr", "capacity_used", "changes", "bpnzac")}}
    if "adversarial" in info:  # the adversary's search, as a pixel hide reports it
        report["adversarial"] = {k: info["adversarial"][k] for k in (
            "scheme", "fooled", "score_plain", "score", "share", "embeddings")}
    if a.json:
        print(_json(report))
        return
    line = (f"{out}: stego written ({hider.name}), {info['changes']:,} luminance coefficients "
            f"changed by 1 ({info['bpnzac']:.3f} bits per non-zero AC)")
    if info.get("kind") == "file":
        line += f"; {info['name']}: {info['bytes']} bytes"
    else:
        line += (f"; secret as {info['codec']} q{info['quality']} at "
                 f"{info['encoded_size'][1]}x{info['encoded_size'][0]}, {info['bytes']} bytes, "
                 f"secret PSNR {info['secret_psnr']:.2f} dB")
    print(_one_line(line + f"; {100 * info['capacity_used']:.0f}% of the payload used"))


def _jpeg_cover(path, cover, allowed):
    """A cover that is a JPEG file (cover None: the file alone is looked at), or whose pixels
    sit on a JPEG quantization lattice, is refused; --pixels-of-jpeg: a warning instead."""
    from .data.traces import NO_LATTICE, is_jpeg, lattice

    if cover is None:
        why = f"{path} is a JPEG" if is_jpeg(path) else None
    else:
        t = None if is_jpeg(path) else lattice(cover)
        why = t is not None and t.flagged and (
            f"{path} was a JPEG (its pixels' 8x8 DCT sits on the quantization lattice of "
            f"quality {t.quality}: distance {t.distance:.3f}, about {NO_LATTICE} without one)")
    if not why:
        return
    risk = ("±1 changes to its decompressed pixels are detectable without a model "
            "(JPEG-compatibility attack)")
    if allowed:
        warnings.warn(f"{why}: --pixels-of-jpeg: {risk}")
        return
    jpeg = " (or leave --method out: a JPEG's DCT coefficients, -o NAME.jpg)" if cover is None \
        else ""
    raise InputError(f"{why}: {risk}; hide in a PNG that was never a JPEG{jpeg}, or shrink it "
                     "first (advstego data prepare --source FOLDER makes trace-free tiles), or "
                     "pass --pixels-of-jpeg to hide in its pixels all the same")


def _lossy_loss(hider, out, stego, written) -> str:
    """What a lossy stego file lost, found by revealing it: the message (STC), or how far
    its revealed secret lies from the one the lossless stego gives."""
    from .hiding.codec import psnr

    what = f"{out}: the {out.suffix} file is not the stego ({psnr(stego, written):.1f} dB from it)"
    try:
        if hasattr(hider, "reveal_payload"):  # a sealed message: it opens, or it is lost
            hider.reveal_payload(written)
            return what + ", though it still reveals"
        p = psnr(hider.reveal(stego), hider.reveal(written))
    except InputError:
        return what + " and it no longer reveals: write .png"
    return what + f"; it reveals a secret {p:.1f} dB from the lossless stego's: write .png"


def _read_bytes(path) -> bytes:
    from .images import max_pixels

    size = path.stat().st_size
    if size > max_pixels():
        raise InputError(f"{path}: {size:,} bytes, more than any cover could carry")
    return path.read_bytes()


def _check_stego_format(out, force_lossy):
    """A stego format that keeps every bit, checked before any work."""
    from .images import LOSSY_EXTENSIONS, WRITABLE_EXTENSIONS

    ext = out.suffix.lower()
    if ext not in WRITABLE_EXTENSIONS:
        raise InputError(f"{out}: cannot write {ext or '(no extension)'!r} images; use "
                         f"{', '.join(sorted(WRITABLE_EXTENSIONS))}")
    if ext in LOSSY_EXTENSIONS and not force_lossy:
        raise InputError(f"{out}: refusing to write a stego as lossy {ext}: lossy saving "
                         "destroys the hidden image (use .png, or --force-lossy)")


def reveal_args(p):
    p.add_argument("stego")
    p.add_argument("-o", "--output", required=True,
                   help="the revealed image or hidden file; or a folder (a path ending "
                        "with / is made if missing): a hidden file keeps its name there, an "
                        "image is STEGO-secret.png")
    p.add_argument("--force-lossy", action="store_true",
                   help="allow a lossy image format (.jpg) for the revealed secret")
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    hider_args(p, None, "jpeg for a JPEG stego, else stc")


@command("reveal", "reveal the secret image (or file) from a stego image", reveal_args)
def cmd_reveal(a):
    from pathlib import Path

    from .files import hidden_file_name, write_bytes_atomic
    from .hiding.base import DEFAULT_KEY
    from .hiding.message import NoMessage, Payload
    from .hiding.registry import hider_has, load_hider, the_hider_that
    from .images import read_image, write_image
    from .keys import ask_key, can_ask
    from .paths import names_folder

    _distinct(a.output, a.stego, a.model, a.key_file)
    a.method = a.method or _method_for(a.stego)
    _hider_settings(a)  # a flag --method does not take is refused, even when STC answers
    target = Path(a.output)
    into = names_folder(a.output)  # a folder (made if missing): the output goes into it
    if into and not target.is_dir() and not target.parent.is_dir():
        raise InputError(f"{target.parent}: output folder does not exist")
    jpeg = hider_has(a.method, "jpeg_files")  # a JPEG's coefficients, not its pixels
    if jpeg:
        from .data.jpeg_io import read as read_jpeg

        stego = read_jpeg(a.stego)
    else:
        stego = read_image(a.stego, _peek_mode(a.stego))
    _read_key(a, DEFAULT_KEY)
    sealed = a.method if jpeg else the_hider_that("sealed")
    try:  # a sealed (STC) message is recognised whatever --method says
        got, method = load_hider(sealed, key=a.key).reveal_payload(stego), sealed
    except NoMessage:
        if not jpeg and not hider_has(a.method, "sealed"):
            got, method = None, a.method
        elif a.key_source == "default" and can_ask():  # none under the public key: ask
            a.key, a.key_source = ask_key(f"advstego: key for {a.stego}: "), "the prompt"
            got, method = load_hider(sealed, key=a.key).reveal_payload(stego), sealed
        else:
            raise
    if method != a.method:
        print(f"advstego: notice: {a.stego} holds an STC message: revealed with --method "
              f"{method}", file=sys.stderr)
    report = {"stego": str(a.stego), "method": method}
    if isinstance(got, Payload):
        if into:
            target = _into_folder(target, hidden_file_name(got.name))
        _check_out(target, a.stego, a.key_file)
        write_bytes_atomic(target, got.data)
        report |= {"kind": "file", "output": str(target), "name": got.name,
                   "bytes": len(got.data)}
        what = f"hidden file {got.name} written ({len(got.data)} bytes)"
    else:
        if into:
            target = _into_folder(target, f"{Path(a.stego).stem}-secret.png")
        out = _check_out(target, a.stego, a.model, a.key_file)
        _check_secret_format(out, a.force_lossy)
        if got is None:
            hider, stego = _hider_and_image(a, a.stego)
            what = "the key or that" if hider.keyed else "that"
            print(f"advstego: notice: --method {method} cannot verify {what} {a.stego} holds a "
                  f"secret: a wrong {'key or ' if hider.keyed else ''}method gives noise",
                  file=sys.stderr)
            if not hider.keyed and a.key_source != "default":
                print(f"advstego: notice: {hider.name} is not keyed: the key from "
                      f"{a.key_source} is ignored", file=sys.stderr)
            got, name = hider.reveal(stego), hider.reveal_name
        else:
            name = method
        write_image(out, got, allow_lossy=a.force_lossy)
        report |= {"kind": "image", "output": str(out), "size": list(got.shape[:2])}
        what = f"revealed secret written ({name})"
    if a.json:
        print(_json(report))
    else:
        print(_one_line(f"{report['output']}: {what}"))


def _check_secret_format(out, force_lossy):
    """A revealed secret's format: a lossy one only with --force-lossy."""
    from .images import LOSSY_EXTENSIONS

    if out.suffix.lower() in LOSSY_EXTENSIONS and not force_lossy:
        raise InputError(f"{out}: the revealed secret would lose detail as lossy "
                         f"{out.suffix}: use .png, or --force-lossy")


def _into_folder(folder, name) -> Path:
    """reveal -o FOLDER: the file NAME in it, never written over."""
    from .paths import into_folder

    target = into_folder(folder) / name
    if target.exists() or target.is_symlink():
        raise InputError(f"{target}: exists; give -o a file path")
    return target


def capacity_args(p):
    from .hiding.registry import HIDERS, the_hider_that
    from .options import add_flags

    p.add_argument("--cover", required=True)
    p.add_argument("--secret", help="also: the quality this secret gets")
    spec = HIDERS.get(the_hider_that("sealed"))[0].options  # the codecs installed here
    add_flags(p, {k: spec[k] for k in ("payload", "codec")})
    jpeg = HIDERS.get(the_hider_that("jpeg_files"))[0].options
    add_flags(p, {"bpnzac": jpeg["bpnzac"]}, defaults=False)  # a JPEG cover's payload
    p.add_argument("--json", action="store_true")


@command("capacity", "how many bytes a cover carries with STC, and the secret quality they buy",
         capacity_args)
def cmd_capacity(a):
    from .data.traces import is_jpeg
    from .hiding import codec
    from .hiding.registry import load_hider, the_hider_that
    from .images import read_image

    if is_jpeg(a.cover):
        r, budget, what = _jpeg_capacity(a)
    else:
        if a.bpnzac is not None:
            raise InputError(f"--bpnzac: the payload of a JPEG cover; {a.cover} is not a JPEG "
                             "(--payload gives bits per pixel)")
        cover = read_image(a.cover, _peek_mode(a.cover))
        hider = load_hider(the_hider_that("sealed"), 1 if cover.ndim == 2 else 3,
                           payload=a.payload, codec=a.codec)
        budget = hider.budget(cover.size)
        r = {"cover": str(a.cover), "size": list(cover.shape[:2]), "payload_bpp": a.payload,
             "bytes": max(budget, 0)}
        what = (f"at {a.payload:g} bpp ({cover.shape[1]}x{cover.shape[0]}, "
                f"{'gray' if cover.ndim == 2 else 'RGB'}")
    if a.secret and budget > 0:
        secret = read_image(a.secret, None)
        if a.codec == codec.AUTO:
            _, info = codec.best(secret, budget)
        else:
            data, q, size = codec.compress(secret, a.codec, budget)
            back = codec.decompress(data, "L" if secret.ndim == 2 else "RGB", secret.shape[:2],
                                    a.codec)
            info = {"codec": a.codec, "quality": q, "encoded_size": list(size),
                    "psnr": codec.psnr(secret, back)}
        r |= {"secret": str(a.secret), "codec": info["codec"], "quality": info["quality"],
              "encoded_size": list(info["encoded_size"]), "secret_psnr": round(info["psnr"], 2)}
    if a.json:
        print(_json(r))
        return
    print(_one_line(f"{a.cover}: {r['bytes']:,} bytes of secret {what}; a hidden file's "
                    "name counts in them)"))
    if "codec" in r:
        h, w = r["encoded_size"]
        print(_one_line(f"{a.secret}: {r['codec']} q{r['quality']} at {w}x{h}, secret PSNR "
                        f"{r['secret_psnr']:.2f} dB"))


def _jpeg_capacity(a) -> tuple[dict, int, str]:
    """capacity of a JPEG cover with the JPEG hider: (report, budget, the line's words)."""
    from .data import jpeg_io
    from .hiding.registry import HIDERS, load_hider, the_hider_that

    method = the_hider_that("jpeg_files")
    if a.payload != HIDERS.get(the_hider_that("sealed"))[0].options["payload"].default:
        raise InputError(f"--payload: bits per pixel; {a.cover} is a JPEG, whose payload is "
                         "--bpnzac (bits per non-zero AC coefficient)")
    hider = load_hider(method, codec=a.codec,
                       **({"bpnzac": a.bpnzac} if a.bpnzac is not None else {}))
    c = hider.capacity(jpeg_io.read(a.cover))
    h, w = c["size"]
    r = {"cover": str(a.cover), "method": method, "size": c["size"], "bpnzac": c["bpnzac"],
         "nzac": c["nzac"], "bytes": c["bytes"]}
    what = (f"at {c['bpnzac']:g} bpnzac ({w}x{h} JPEG, {c['nzac']:,} non-zero AC coefficients "
            f"in its luminance, --method {method}")
    return r, c["bytes"], what


def train_args(p):
    from .hiding.config import FLAGS, LAMBDA, PRESETS
    from .options import add_flags

    p.add_argument("--data", required=True, help="a corpus made by `advstego data prepare`")
    p.add_argument("--out", "--run", dest="run", required=True,
                   help="run folder (config, log.csv, checkpoints); --out under torchrun")
    p.add_argument("--preset", default="quick", help=" | ".join(PRESETS))
    p.add_argument("--resume", action="store_true", help="continue the run in --run")
    p.add_argument("--device", default="auto")
    p.add_argument("--max-steps", type=COUNT0, default=0, help="stop after this many steps")
    p.add_argument("--max-minutes", type=flag_type(Option(float, 0, 0, above=True)), default=0,
                   help="stop (checkpointed, resumable) once this much time has passed")
    add_flags(p, FLAGS, defaults=False)  # one spec: hiding/config.FLAGS (preset, then flags)
    p.add_argument("--lambdas", type=list_flag_type(LAMBDA, (3,)),
                   help="la,lb,lc of Le = la*d(cover,stego) + lb*Ls + lc*Ld")
    p.add_argument("--bf16", action="store_true",
                   help="bf16 autocast, used only where the device has native bf16 (AVX512-BF16 "
                        "or AMX CPU, CUDA GPU); elsewhere it would be dozens of times slower")


@command("train", "train the GAN (torchrun-ready)", train_args)
def cmd_train(a):
    from .hiding.config import FLAGS, make_config
    from .data.prepare import load_manifest
    from .game.gan import train
    from .paths import claim_run_folder, output_folder

    over = {k: getattr(a, k) for k in FLAGS}
    if a.lambdas:
        over["lambdas"] = a.lambdas
    if a.bf16:
        over["amp_bf16"] = True
    _distinct(a.run, a.data)
    output_folder(a.run)
    cfg = None if a.resume else make_config(a.preset, **over)
    load_manifest(a.data)  # the inputs are checked before --out is claimed
    if not a.resume and os.environ.get("RANK", "0") in ("", "0"):
        claim_run_folder(a.run, "train", {})  # a folder of someone else's is never written
    last, _ = train(a.data, a.run, cfg, resume=a.resume, device=a.device, max_steps=a.max_steps,
                    max_minutes=a.max_minutes)
    if last:
        print(f"{a.run}: val stego PSNR {last['stego_psnr_uint8']:.2f} dB, revealed secret "
              f"PSNR {last['secret_psnr_uint8']:.2f} dB (8-bit stegos)")


def evaluate_args(p):
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=COUNT0, default=0)
    p.add_argument("--out", help="keep stegos, revealed secrets and results here")
    hider_args(p, "gan")


@command("evaluate", "Table 1: fidelity on held-out pairs, 8-bit stegos", evaluate_args)
def cmd_evaluate(a):
    from .data.corpus import Corpus
    from .hiding.evaluate import evaluate, table1_text

    from .hiding.base import DEFAULT_KEY

    _distinct(a.out, a.data, a.model, a.key_file)
    _read_key(a, DEFAULT_KEY)
    hider = _hider(a, 3 if Corpus(a.data).mode == "rgb" else 1)
    if a.out:
        from .paths import claim_run_folder
        claim_run_folder(a.out, "evaluate", {"hider": hider.describe(), "data": str(a.data),
                                             "split": a.split, "limit": a.limit})
    s = evaluate(hider, a.data, split=a.split, limit=a.limit, out=a.out)
    print(table1_text([s]))
    if a.out:
        print(f"{a.out}: stegos, revealed secrets, pairs.csv and summary.json")


# ---- embedding and steganalysis -----------------------------------------

def embed_args(p):
    from .embedding.jpeg import JPEG_METHODS
    from .embedding.simulate import METHODS, PAYLOAD

    p.add_argument("--method", required=True, choices=[*METHODS, *JPEG_METHODS],
                   help="pixels: wow, suniward, hill; JPEG coefficients (a JPEG corpus): "
                        "juniward, uerd, nsf5")
    p.add_argument("--payload", type=flag_type(PAYLOAD), default=PAYLOAD.default,
                   help=PAYLOAD.help + " (the JPEG methods: bits per non-zero AC "
                        "coefficient, bpnzac)")
    p.add_argument("--in", dest="input", required=True, help="covers (corpus or folder)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--workers", type=COUNT0, default=0, help="processes (0: all cores)")
    p.add_argument("--force", action="store_true",
                   help="replace stegos made in --out with other settings")
    p.add_argument("--adversarial", action="store_true",
                   help="adversarial costs (ADV-EMB) against the shipped wardens (gray covers)")
    p.add_argument("--wardens", help="adversarial costs against these: a folder of CNN wardens "
                                     "or an `advstego harden --method stc` run (juniward, "
                                     "uerd: a `harden --method jpeg` run's, gray JPEGs)")


@command("embed", "WOW / S-UNIWARD / HILL (pixels) or J-UNIWARD / UERD / nsF5 (JPEG) stegos "
                  "through conseal", embed_args)
def cmd_embed(a):
    from .embedding import embed_folder

    from .embedding.jpeg import JPEG_METHODS

    _distinct(a.out, a.input, a.wardens)
    wardens, load = None, None
    if a.adversarial and a.method in JPEG_METHODS:
        raise InputError(f"--adversarial: the shipped wardens judge pixels; --method {a.method} "
                         "takes the wardens of a JPEG game (--wardens RUN of `advstego harden "
                         "--method jpeg`)")
    if a.adversarial or a.wardens:
        from .attacks.strategy import load_adversary, shipped_strategy

        from pathlib import Path

        wardens, load = str(Path(a.wardens or shipped_strategy()).resolve()), load_adversary
    made, n = embed_folder(a.input, a.out, a.method, a.payload, a.seed, a.workers, a.force,
                           wardens, load)
    print(f"{a.out}: {n} {a.method} stegos at {a.payload} "
          f"{'bpnzac' if a.method in JPEG_METHODS else 'bpp'}"
          + (" with adversarial costs" if wardens else "")
          + (f" ({n - made} of them made before)" if made < n else ""))


def detect_train_args(p):
    from .steganalysis.registry import DETECTORS

    p.add_argument("--detector", required=True, choices=DETECTORS.names())
    p.add_argument("--covers", required=True)
    p.add_argument("--stegos", required=True)
    p.add_argument("--split", default="train", help="train | val | test | all")
    p.add_argument("-o", "--output", required=True, help="detector file (.safetensors)")
    p.add_argument("--epochs", type=flag_type(Option(int, None, 1)),
                   help="a CNN's epochs (default 30; its own spec checks them again)")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--seeds", type=flag_type(Option(int, 1, 1)), default=1,
                   help="train N detectors from scratch (seeds seed..seed+N-1): OUTPUT, then "
                        "OUTPUT-seed1, ...; `detect test` averages them, with an interval")
    p.add_argument("--device", help="a CNN's device: cpu (default), cuda, cuda:N or auto")


def _detector_settings(a) -> dict:
    """The detector flags given (--epochs, --device); one the detector does not take is
    refused, never ignored."""
    from .steganalysis.registry import DETECTORS

    cls, _ = DETECTORS.get(a.detector)
    given = {k: getattr(a, k) for k in ("epochs", "device") if getattr(a, k) is not None}
    for k in given:
        if k not in cls.options or k in cls.ignores:
            takers = [n for n in DETECTORS.names() if k in DETECTORS.get(n)[0].options
                      and k not in DETECTORS.get(n)[0].ignores]
            raise InputError(f"--{k}: --detector {a.detector} does not take it (it goes with "
                             f"--detector {' or '.join(takers)})")
    if "device" in given:  # a device this machine lacks: refused before the images load
        from .distributed import pick_device

        pick_device(given["device"])
    return given


def seed_files(output, n: int) -> list[Path]:
    """OUTPUT for the first seed, then OUTPUT with -seed1, -seed2, ... before its suffix."""
    out = Path(output)
    return [out] + [out.with_name(f"{out.stem}-seed{k}{out.suffix}") for k in range(1, n)]


def _checkpoint(output) -> Path:
    """Where `detect train` keeps a detector's checkpoint while it trains (resumed by a
    rerun, removed once the detector is saved)."""
    return Path(f"{output}.ckpt")


@command("detect train", "train a detector on covers and their stegos", detect_train_args)
def cmd_detect_train(a):
    from .steganalysis.detector import DETECTORS, build_detector, load_pairs, same_image

    settings = _detector_settings(a)
    _check_out(a.output, a.covers, a.stegos)  # the raw path: a trailing slash is a folder
    files = seed_files(a.output, a.seeds)
    for f in files:
        _check_out(f, a.covers, a.stegos)
        _distinct(_checkpoint(f), a.covers, a.stegos)
    if Path(a.covers).resolve() == Path(a.stegos).resolve():
        raise InputError(f"--covers and --stegos are the same folder ({a.covers}); a detector "
                         "learns from covers and their stegos")
    names, covers, stegos = load_pairs(a.covers, a.stegos, a.split,
                                       DETECTORS.get(a.detector)[0].reads_jpeg)
    if all(same_image(c, s) for c, s in zip(covers, stegos)):  # load_pairs: same shapes
        raise InputError(f"{a.stegos}: every stego is identical to its cover in {a.covers}; "
                         "nothing to learn")
    for k, f in enumerate(files):
        det = build_detector(a.detector, seed=a.seed + k, **settings)
        det.fit(covers, stegos, run=str(_checkpoint(f)))
        det.save(f)
        _checkpoint(f).unlink(missing_ok=True)  # only the detector stays
        print(f"{f}: {a.detector} (seed {a.seed + k}) trained on {len(names)} cover/stego "
              "pairs")


def detect_test_args(p):
    p.add_argument("--detector", required=True, nargs="+",
                   help="a trained detector file; several (e.g. the seeds of `detect train "
                        "--seeds`): their mean, with an interval that holds their spread")
    p.add_argument("--covers", required=True)
    p.add_argument("--stegos", required=True)
    p.add_argument("--split", default="test", help="train | val | test | all")
    p.add_argument("--csv", help="write per-image scores here (of the first detector)")


def _photos_of(covers_dir, names) -> tuple[list, str]:
    """Each test image's photo from the corpus manifest, or each image its own photo."""
    if (Path(covers_dir) / "manifest.json").is_file():
        from .data.corpus import Corpus

        photo = Corpus(covers_dir).photo
        return [photo.get(n, n) for n in names], "photos"
    return list(names), "images (no manifest: each image its own photo)"


@command("detect test", "P_FA, P_MD, PE, w/Vn on covers and their stegos", detect_test_args)
def cmd_detect_test(a):
    import csv
    import io

    from . import stats
    from .files import write_text_atomic
    from .steganalysis.detector import arm, calls, evaluate_detector, load_detector, load_pairs

    if a.csv:
        _check_out(a.csv, *a.detector, a.covers, a.stegos)
    dets = [load_detector(d) for d in a.detector]
    pairs = {j: load_pairs(a.covers, a.stegos, a.split, j)  # a JPEG corpus: as each reads it
             for j in sorted({det.reads_jpeg for det in dets})}
    names = next(iter(pairs.values()))[0]
    runs = [evaluate_detector(det, *pairs[det.reads_jpeg][1:]) for det in dets]
    photos, unit = _photos_of(a.covers, names)
    judged = arm([calls(r, photos * 2) for r in runs])
    iv = stats.interval(judged) if len(judged.photos) > 1 else None
    r = {k: sum(x[k] for x in runs) / len(runs) for k in ("P_FA", "P_MD", "PE", "w_vn",
                                                           "PE_min")}
    who = dets[0].name + (f" x {len(dets)} seeds (mean)" if len(dets) > 1 else "")
    print(f"{who}: {len(names)} covers + {len(names)} stegos")
    print(f"  P_FA {r['P_FA']:.4f}  P_MD {r['P_MD']:.4f}  PE {r['PE']:.4f}  "
          f"w/Vn {r['w_vn']:.4f}  PE_min {r['PE_min']:.4f}")
    if iv:
        print(f"  95% interval, resampling {iv['n_photos']} {unit}: PE {stats.fmt(iv['PE'])}  "
              f"P_FA {stats.fmt(iv['P_FA'])}  P_MD {stats.fmt(iv['P_MD'])}")
    else:
        print("  no interval: every test image comes from one photo")
    if a.csv:
        r = runs[0]
        rows = [["image", "label", "prob_stego", "decision"]]
        for i, (lab, p, d) in enumerate(zip(r["labels"], r["scores"], r["decisions"])):
            rows.append([names[i % len(names)], "stego" if lab else "cover", f"{p:.6f}", int(d)])
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        write_text_atomic(a.csv, buf.getvalue())
        print(f"  per-image scores: {a.csv}")


# ---- attacks --------------------------------------------------------------

def attack_args(p, name):
    from .attacks.registry import ATTACKS
    from .options import add_flags

    add_flags(p, ATTACKS.get(name)[0].options)
    p.add_argument("--detector", required=True, help="a trained detector file")
    p.add_argument("--in", dest="input", required=True, help="folder of stegos")
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true",
                   help="replace an attack folder made with other settings")


def cmd_attack(a):
    from .attacks.registry import ATTACKS
    from .attacks.run import attack_folder
    from .steganalysis.detector import load_detector

    _distinct(a.out, a.input, a.detector)
    det = load_detector(a.detector)
    kind = a.attack
    cls, _ = ATTACKS.get(kind)
    params = {k: getattr(a, k) for k in cls.options}
    s = attack_folder(kind, det, a.input, a.out, force=a.force, **params)
    flip = "–" if s["flip_rate"] is None else f"{s['flip_rate']:.3f}"
    print(f"{a.out}: {s['images']} attacked stegos ({kind}); flipped {flip} of the "
          f"{s['called_stego_before']} called stego, {s['missed_after']:.3f} of all called cover "
          f"after; mean queries {s['mean_queries']:.1f}, mean L-inf {s['mean_linf']:.2f} grey "
          f"levels, {s['images_per_s']:.2f} images/s")


def _attack_commands():
    """`attack NAME` for every registered attack, its flags from the attack's options."""
    from .attacks.registry import ATTACKS

    for name in ATTACKS.names():
        doc = ATTACKS.get(name)[0].__doc__.splitlines()[0]
        command(f"attack {name}", doc, lambda p, name=name: attack_args(p, name))(cmd_attack)


_attack_commands()


# ---- experiment and hardening ---------------------------------------------

def experiment_args(p):
    from .experiments.config import PRESETS

    p.add_argument("config", help=" | ".join([*PRESETS, "CONFIG.json"]))
    p.add_argument("--out", default="runs/experiment")
    p.add_argument("--root", help="BOSSbase or LFW folder for the paper presets")
    p.add_argument("--device", default="auto")


@command("experiment", "the whole paper: tables, figures, report", experiment_args)
def cmd_experiment(a):
    import time

    from .distributed import Ranks, process_group
    from .experiments.pipeline import run_experiment
    from .experiments.config import is_jpeg, load_config
    from .experiments.report import tables_text
    from .paths import claim_run_folder

    _distinct(a.out, a.config if a.config.endswith(".json") else None, a.root)
    cfg = load_config(a.config, a.root)
    if is_jpeg(cfg):  # JPEG covers: the JPEG experiment (experiments/jpeg.py)
        from .experiments.jpeg import run_jpeg_experiment as run_experiment
        from .experiments.jpeg_report import tables_text
    t = time.perf_counter()
    with process_group(a.device) as (rank, world, _):
        if rank == 0:
            claim_run_folder(a.out, "experiment", {})
        Ranks().barrier()  # the folder is claimed before any rank writes in it
        r = run_experiment(cfg, a.out, device=a.device)
    if rank:
        return
    print(tables_text(r))
    print(f"\n{a.out}/report.html, report.md, results.json "
          f"({len(r['stages_ran'])} stages ran, {len(r['stages_reused'])} reused, "
          f"{time.perf_counter() - t:.1f} s)")


def harden_args(p):
    from .game.config import FLAGS, harden_presets
    from .options import add_flags

    p.add_argument("--data", required=True, help="a gray corpus made by `advstego data prepare` "
                   "(--method jpeg: a JPEG one, data prepare --jpeg QF)")
    p.add_argument("--out", required=True, help="run folder (rounds, harden.csv, report.md)")
    p.add_argument("--preset", default="quick", help=" | ".join(harden_presets()))
    add_flags(p, FLAGS, defaults=False)  # one spec: game/config.FLAGS (preset, then flags)
    key_file_arg(p)
    p.add_argument("--round0", help="stc: start from the finished round 0 of this run (the "
                                    "plain stegos and wardens), a game that differs only in "
                                    "its adversarial settings")
    p.add_argument("--device", default="cpu")


@command("harden", "min-max hardening: the hider against wardens who retrain, round by round "
                   "(resumable)", harden_args)
def cmd_harden(a):
    from .distributed import pick_device
    from .game.play import check_data, check_round0, harden
    from .game.config import FLAGS, game_settings, make_config, not_taken
    from .hiding.registry import hider_has, hiders_that
    from .paths import claim_run_folder

    _read_key(a, None)  # none: the preset's (the public default key)
    cfg = make_config(a.preset, **{k: getattr(a, k) for k in FLAGS})
    foreign = not_taken(cfg, [k for k in FLAGS if getattr(a, k) is not None])
    if foreign:  # a flag of the other player or another scheme would be ignored
        what = f"--method {cfg.method}" + (f" --scheme {cfg.adversary.name}"
                                           if cfg.adversary is not None else "")
        raise InputError(f"--{foreign[0].replace('_', '-')}: harden {what} does not take it")
    adversarial = hider_has(cfg.method, "takes_adversarial_costs")  # else: fine-tuned
    if not adversarial and a.key_source != "default":
        warnings.warn(f"harden --method {cfg.method}: the key from {a.key_source} is ignored "
                      f"(only --method {' and '.join(hiders_that('takes_adversarial_costs'))} "
                      "embed with it)")
    _distinct(a.out, a.data, a.model, a.round0, a.key_file)
    device = str(pick_device(a.device))
    check_data(a.data, cfg)  # the inputs are checked before --out is claimed
    if a.round0:
        check_round0(a.round0, cfg)
    # more rounds extend a run; any other change needs another folder
    settings = game_settings(cfg) | {"data": str(a.data)}
    claim_run_folder(a.out, "harden", settings,
                     force=True if _marked_same_game(a.out, a.data, cfg) else None)
    harden(a.data, a.out, cfg, device=device, round0=a.round0)
    print(f"{a.out}: harden.csv, report.md, round-0 .. round-{cfg.rounds}"
          + (", strategy/ (the final round's wardens)" if adversarial else ""))


def _marked_same_game(out, data, cfg) -> bool:
    """Whether out is a run of this game on this data claimed in an earlier schema (the
    flat settings of runs before specs, a key in clear before fingerprints): then it
    resumes, its marker rewritten."""
    from .game.config import same_game
    from .paths import MARKER

    try:
        have = json.loads((Path(out) / MARKER).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(have, dict) or have.get("command") != "harden" or \
            not isinstance(have.get("settings"), dict):
        return False
    had = dict(have["settings"])
    return had.pop("data", None) == str(data) and same_game(had, cfg)


def demo_args(p):
    p.add_argument("--out", default="demo-out")


@command("demo", "run the end-to-end demo on the sample photos", demo_args)
def cmd_demo(a):
    from .experiments.demo import run_demo
    from .paths import claim_run_folder

    claim_run_folder(a.out, "demo", {})
    run_demo(a.out)


# ---- parser -------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit code 2, like every other bad input."""

    def error(self, message):
        print(f"advstego: error: {_one_line(message)} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser(argv=None) -> argparse.ArgumentParser:
    """Every command; given a command line, only its command declares its arguments (each
    declaration imports its module: all of them cost a `hide` about 0.04 s more, and one
    that fails would break every command)."""
    from . import __version__
    from .images import DEFAULT_MAX_PIXELS as MAX_PIXELS

    p = _Parser(prog="advstego", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"advstego {__version__}")
    p.add_argument("--max-pixels", type=flag_type(Option(int, MAX_PIXELS, 1)), default=MAX_PIXELS,
                   help=f"refuse images larger than this before decoding (default {MAX_PIXELS:,})")
    groups = {(): p.add_subparsers(dest="command", required=True)}
    wanted = None if argv is None else _named(argv)
    for name, hlp, arguments, handler in COMMANDS:
        *parents, last = name.split()
        for i in range(len(parents)):
            key = tuple(parents[:i + 1])
            if key not in groups:
                grp = groups[key[:-1]].add_parser(key[-1], help=_GROUPS[key[-1]])
                groups[key] = grp.add_subparsers(dest=f"{key[-1]}_cmd" if key[-1] != "attack"
                                                 else "attack", required=True)
        q = groups[tuple(parents)].add_parser(last, help=hlp)
        if arguments and wanted in (None, name):
            arguments(q)
        q.set_defaults(func=handler)
    return p


_GROUPS = {"data": "photo corpora", "detect": "steganalyzers",
           "attack": "adversarial stegos against a detector"}


def _named(argv) -> str | None:
    """The command a command line names ("hide", "data prepare"), None where it names none."""
    names = {c[0] for c in COMMANDS}
    for i, word in enumerate(argv):
        if word in _GROUPS:
            word = " ".join(argv[i:i + 2])
        if word in names or word.split()[0] in _GROUPS:
            return word if word in names else None
    return None


def main(argv=None) -> int:
    warnings.showwarning = _warn_one_line
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    given = [(k, x) for k, v in vars(args).items() for x in (v if isinstance(v, list) else [v])
             if isinstance(x, str)]
    nul = [k for k, v in given if "\0" in v]
    if nul:  # no file name holds a NUL (a shell cannot pass one; a caller of main can)
        print(f"advstego: error: {_flag(parser, args, nul[0])}: a NUL character in the "
              "argument", file=sys.stderr)
        return 2
    empty = [k for k, v in given if not v]
    if empty:  # no argument may be empty: "" names no file, no folder, no key, no choice
        print(f"advstego: error: {_flag(parser, args, empty[0])} '': an empty argument names no "
              "file, folder or value; give a non-empty one", file=sys.stderr)
        return 2
    from .images import pixel_limit

    ok = False
    try:
        with pixel_limit(args.max_pixels):  # this command's limit on reads, not a global
            args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        ok = True
    except InputError as exc:
        print(f"advstego: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # torch, in the core install
        from .extras import missing_deep, needs_deep

        if not missing_deep(exc):
            raise
        print(f"advstego: error: {_one_line(needs_deep(_command_line(args), exc))}",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # `advstego ... | head -1`: stop quietly, as Unix tools do
        _quiet_stdout()
        return 128 + 13  # what a shell shows for a tool ended by SIGPIPE
    except OSError as exc:  # an unwritable folder, a full disk, a name too long...
        where = exc.filename if exc.filename is not None else "output"
        print(f"advstego: error: {_one_line(where)}: {_one_line(exc.strerror or exc)}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"advstego: interrupted{_resume_hint(args)}", file=sys.stderr)
        return 130
    finally:
        from .paths import release_locks
        release_locks(failed=not ok)
    return 0


def _resume_hint(a) -> str:
    """How an interrupted command goes on: only a command that resumes is told to rerun."""
    command = " ".join([a.command] + ([a.detect_cmd] if a.command == "detect" else []))
    if command in ("embed", "attack", "experiment", "harden", "detect train"):
        return " (rerun the same command to resume)"
    return " (rerun with --resume to continue)" if command == "train" else ""


def _flag(parser, args, dest: str) -> str:
    """How the user wrote the argument stored in dest: its flags (-o/--output), or its name
    if positional; looked up in the subcommand args ran."""
    while True:
        acts = parser._actions
        for act in acts:
            if act.dest == dest:
                return "/".join(act.option_strings) or dest
        subs = [a for a in acts if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return dest
        parser = subs[0].choices[getattr(args, subs[0].dest)]


def _command_line(a) -> str:
    """The command, with the hider or detector it names and --adversarial / --wardens."""
    from .hiding.registry import HIDERS
    from .steganalysis.registry import DETECTORS

    sub = a.attack if a.command == "attack" else getattr(a, f"{a.command}_cmd", None)
    words = [a.command, *([sub] if sub else [])]
    for flag, names in (("method", HIDERS.names()), ("detector", DETECTORS.names())):
        if isinstance(getattr(a, flag, None), str) and getattr(a, flag) in names:
            words += [f"--{flag}", getattr(a, flag)]
    return " ".join(words + [f"--{f}" for f in ("adversarial", "wardens") if getattr(a, f, None)])


def _quiet_stdout():
    """Point stdout at /dev/null: what is still buffered for a closed pipe is dropped
    instead of failing again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
        pass


if __name__ == "__main__":
    sys.exit(main())
