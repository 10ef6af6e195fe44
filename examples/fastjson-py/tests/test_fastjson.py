import io
import json
import sys

import pytest

import fastjson
from fastjson import cli


def test_version_matches_metadata():
    from importlib.metadata import version

    assert fastjson.__version__ == version("fastjson")


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{ "a" : 1 }', '{"a":1}'),
        ('[1, 2,\n 3 ]', "[1,2,3]"),
        ('  "a b\\" c"  ', '"a b\\" c"'),
        ('{"z": 1, "a": 2}', '{"z":1,"a":2}'),  # key order kept
        ("[1.0, 1e400, 123456789012345678901234567890]", "[1.0,1e400,123456789012345678901234567890]"),
        ('{"s": "tab\\t and\\\\ \\"q\\" "}', '{"s":"tab\\t and\\\\ \\"q\\" "}'),
        ('"caf\u00e9 \u2603"', '"caf\u00e9 \u2603"'),
    ],
)
def test_minify(text, expected):
    assert fastjson.minify(text) == expected


def test_minify_roundtrips_large_document():
    doc = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(5000)]}
    text = json.dumps(doc, indent=4)
    assert len(text) > 64 * 1024  # exercises the GIL-released path
    out = fastjson.minify(text)
    assert json.loads(out) == doc
    assert out == json.dumps(doc, separators=(",", ":"))


@pytest.mark.parametrize("text", ["", "{", '{"a":}', "[1,]", "1 2", "nan", "{'a': 1}"])
def test_invalid(text):
    assert not fastjson.is_valid(text)
    with pytest.raises(fastjson.JSONDecodeError):
        fastjson.minify(text)


def test_decode_error_is_value_error():
    assert issubclass(fastjson.JSONDecodeError, ValueError)
    with pytest.raises(ValueError, match="line 1 column"):
        fastjson.minify("[1,")


def test_is_valid():
    assert fastjson.is_valid(' {"a": [true, false, null]} ')


def test_cli_minifies_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{ "a" : [1, 2] }\n'))
    assert cli.main([]) == 0
    assert capsys.readouterr().out == '{"a":[1,2]}\n'


def test_cli_reports_invalid(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("{"))
    assert cli.main([]) == 1
    assert "fastjson: <stdin>:" in capsys.readouterr().err


def test_cli_check(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text("[1]")
    bad = tmp_path / "bad.json"
    bad.write_text("[1")
    assert cli.main(["--check", str(good)]) == 0
    assert cli.main(["--check", str(good), str(bad)]) == 1
    assert "bad.json: invalid JSON" in capsys.readouterr().err
