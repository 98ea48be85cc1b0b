"""The sandbox's matplotlib backend: Agg, and every figure a program shows or leaves open is saved.

A sandboxed program has no screen, and the kit gives back only what it finds in out/ (the
folder the kit's supervisor makes in the working directory before the program starts). The
image sets MPLBACKEND=module://sandbox_figures, so that a program written for a desktop,

    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3])
    plt.show()

gives back out/figure-1.png, with no change. `show()` saves each open figure to the next free
out/figure-N.png and closes it; figures still open when the program exits are saved the same
way (an atexit hook, registered when matplotlib loads this backend). A program that saves its
own figures with savefig() and closes them gets nothing added. Nothing here is trusted: it runs
as the program, and the supervisor harvests out/ by its own rules whatever is written there.
"""

import atexit
import itertools
import os
import sys

from matplotlib._pylab_helpers import Gcf
from matplotlib.backends.backend_agg import FigureCanvasAgg, FigureManagerBase

# The kit's working directory (sandbox/options.py's working_dir) and its output folder.
OUT = "/tmp/out"

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*args, **kwargs):
    """Save every open figure to out/figure-N.png and close it (block and the rest are ignored)."""
    for manager in Gcf.get_all_fig_managers():
        save(manager.canvas.figure)
    Gcf.destroy_all()


def save(figure):
    """Save one figure to the next free out/figure-N.png; a program never loses its run to a plot."""
    try:
        for n in itertools.count(1):
            path = os.path.join(OUT, f"figure-{n}.png")
            try:
                # O_EXCL: never over a file the program wrote, nor through a link it left there.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                figure.savefig(handle, format="png")
            return path
    except Exception as exc:  # noqa: BLE001 - say why on stderr, and let the program go on
        print(f"sandbox_figures: the figure was not saved to {OUT}/: {exc}", file=sys.stderr)
    return None


def _save_open_figures():
    if Gcf.get_all_fig_managers():
        show()


atexit.register(_save_open_figures)
