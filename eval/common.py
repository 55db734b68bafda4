"""Shared helpers of the evaluation scripts: where the repository, the
tessera binary and the research data are, running a command timed, and
table formatting.

The data lives outside the repository (read-only research data, never
copied in): $TESSERA_DATA if set, else "$(dirname REPO)/shared/data".
"""

import os
import shlex
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_dir():
    """The evaluation data folder ($TESSERA_DATA or ../shared/data)."""
    return os.environ.get("TESSERA_DATA") or os.path.join(
        os.path.dirname(REPO), "shared", "data")


def require_data(*parts):
    """Path of a file or folder under the data folder; exits with a clear
    message (status 2) when it is missing."""
    path = os.path.join(data_dir(), *parts)
    if not os.path.exists(path):
        sys.exit(f"eval: {path} not found.  The evaluation data is not part "
                 f"of the repository; set TESSERA_DATA to the folder holding "
                 f"pan13-train/ and news.jsonl (default: "
                 f"$(dirname repo)/shared/data).")
    return path


def tessera_bin(path=None):
    """The tessera binary (default build/tessera); exits when missing."""
    path = path or os.environ.get("TESSERA") or os.path.join(
        REPO, "build", "tessera")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"eval: {path} not found or not executable; run `make` "
                 f"first (or pass --tessera / set TESSERA).")
    return path


def run_timed(cmd, what):
    """Run `cmd` (a list); return (seconds, its stderr, stripped).  A
    failure ends the script with the command, `what` it was for and the
    tail of its stderr."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: `{shlex.join(cmd)}` ({what}) exited "
                 f"with {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return dt, p.stderr.decode(errors="replace").strip()


def table(header, rows, markdown=False):
    """Rows (lists of str) as an aligned plain-text or Markdown table.
    Columns after the first are right-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header] + rows)
              for i in range(len(header))]

    def fmt(r):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        return ("| " + " | ".join(cells) + " |") if markdown \
            else "  ".join(cells)

    out = [fmt(header)]
    if markdown:
        out.append("|" + "|".join(
            ":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":"
            for i, w in enumerate(widths)) + "|")
    else:
        out.append("  ".join("-" * w for w in widths))
    out.extend(fmt(r) for r in rows)
    return "\n".join(out)
