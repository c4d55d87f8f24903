"""Progress bars on a terminal only, so piped output and error lines stay clean."""

from tqdm import tqdm


def progress(iterable=None, **kw):
    kw.setdefault("disable", None)  # None: off when stderr is not a terminal
    kw.setdefault("leave", False)
    kw.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kw)
