"""For tools that still call setup.py (build_ext --inplace, say); pip uses
build_backend.py (pyproject.toml).  The extension is described in _ext.py."""
from setuptools import setup

import _ext

setup(name=_ext.NAME, version=_ext.VERSION, packages=["tessera"],
      package_data={"tessera": ["py.typed", "*.pyi"]}, ext_modules=[_ext.extension()])
