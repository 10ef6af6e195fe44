"""Minify and validate JSON with a Rust core.

>>> import fastjson
>>> fastjson.minify('{ "a" : [1, 2] }')
'{"a":[1,2]}'
>>> fastjson.is_valid("{")
False
"""

from importlib.metadata import PackageNotFoundError, version

from fastjson._core import JSONDecodeError, is_valid, minify

try:
    __version__ = version("fastjson")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["JSONDecodeError", "__version__", "is_valid", "minify"]
