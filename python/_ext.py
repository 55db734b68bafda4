"""The C extension tessera._tessera, as setuptools describes it: built
against the library that `make` built in ../build (libtessera_pic.a:
position-independent objects, linked in, so the module needs no
libtessera.so at run time).  TESSERA_BUILD names another build directory,
TESSERA_ROOT the repository (for a copy of python/ built elsewhere)."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("TESSERA_ROOT", os.path.dirname(HERE))
BUILD = os.environ.get("TESSERA_BUILD", os.path.join(ROOT, "build"))
ARCHIVE = os.path.join(BUILD, "libtessera_pic.a")
NAME = "tessera"
VERSION = "0.1.0"


def _libs():
    """The libraries libtessera needs, from pkg-config when it answers."""
    pkgs = ["libutf8proc", "libxxhash", "libzstd", "zlib", "sqlite3", "jansson",
            "libdivsufsort"]
    try:
        out = subprocess.run(["pkg-config", "--libs"] + pkgs, check=True,
                             capture_output=True, text=True).stdout.split()
        return [f[2:] for f in out if f.startswith("-l")]
    except (OSError, subprocess.CalledProcessError):
        return ["utf8proc", "xxhash", "zstd", "z", "sqlite3", "jansson", "divsufsort"]


def extension():
    from setuptools import Extension
    if not os.path.exists(ARCHIVE):
        raise SystemExit(f"tessera: {ARCHIVE} not found: run `make` in {ROOT} first")
    return Extension(
        "tessera._tessera",
        sources=[os.path.join(HERE, "src", "_tessera.c")],
        include_dirs=[os.path.join(ROOT, "lib")],
        extra_objects=[ARCHIVE],
        libraries=_libs() + ["stemmer", "bz2", "pthread", "m"],
        extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                            "-Wno-missing-field-initializers"],
    )
