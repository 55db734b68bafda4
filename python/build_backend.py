"""A PEP 517 build backend for the tessera package that needs nothing beyond
setuptools (for the C compiler) and the standard library: it compiles the
extension with setuptools' build_ext and writes the wheel itself, so that
`pip install --no-build-isolation ./python` works offline on a Python that
has no `wheel` package (pyenv's, Debian's without python3-wheel)."""
import base64
import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ext  # noqa: E402

HERE = _ext.HERE
DIST = f"{_ext.NAME}-{_ext.VERSION}.dist-info"


def _tag():
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {_ext.NAME}\nVersion: {_ext.VERSION}\n"
            "Summary: Text reuse: reused passages, their sources, reuse families, "
            "near duplicates (bindings of libtessera)\nRequires-Python: >=3.9\n")


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, DIST)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w") as f:
        f.write(_metadata())
    return DIST


def _compile(tmp):
    from setuptools import Distribution
    dist = Distribution({"name": _ext.NAME, "ext_modules": [_ext.extension()],
                         "script_name": "setup.py"})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = os.path.join(tmp, "lib")
    cmd.build_temp = os.path.join(tmp, "temp")
    cmd.ensure_finalized()
    cmd.run()
    return cmd.get_outputs()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tmp = tempfile.mkdtemp(prefix="tessera-wheel-")
    try:
        files = {}   # path in the wheel -> bytes
        for so in _compile(tmp):
            with open(so, "rb") as f:
                files["tessera/" + os.path.basename(so)] = f.read()
        for name in sorted(os.listdir(os.path.join(HERE, "tessera"))):
            if name.endswith((".py", ".pyi")) or name == "py.typed":
                with open(os.path.join(HERE, "tessera", name), "rb") as f:
                    files["tessera/" + name] = f.read()
        files[f"{DIST}/METADATA"] = _metadata().encode()
        files[f"{DIST}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: tessera build_backend\n"
                                  f"Root-Is-Purelib: false\nTag: {_tag()}\n").encode()
        files[f"{DIST}/top_level.txt"] = b"tessera\n"
        record = []
        for path, data in files.items():
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{path},sha256={digest.decode()},{len(data)}")
        record.append(f"{DIST}/RECORD,,")
        files[f"{DIST}/RECORD"] = ("\n".join(record) + "\n").encode()
        wheel = f"{_ext.NAME}-{_ext.VERSION}-{_tag()}.whl"
        with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w",
                             zipfile.ZIP_DEFLATED) as z:
            for path, data in files.items():
                z.writestr(path, data)
        return wheel
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
