"""Access control and what loaded files may do: keys compared in constant time, loopback by
default, no CORS unless configured, no route that reads outside the index, no pickle or code
execution anywhere in the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

import wenda  # noqa: E402
from wenda.collection import Collection  # noqa: E402
from wenda.config import Settings  # noqa: E402
from wenda.serve.app import create_app  # noqa: E402

PACKAGE = Path(wenda.__file__).parent


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("access")
    (root / "docs").mkdir()
    (root / "docs" / "a.txt").write_text("Rivers\n\nThe Seine flows through Paris.")
    (root / "secret.txt").write_text("TOP SECRET outside the index")
    with Collection.open_or_create(root / "idx") as col:
        col.add([root / "docs"])
    with TestClient(create_app(root / "idx", cfg=Settings(api_key="k"))) as c:
        yield c


def test_keys_are_compared_in_constant_time(client, monkeypatch):
    import wenda.serve.app as app_module

    calls = []
    real = app_module.hmac.compare_digest
    monkeypatch.setattr(app_module.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    body = {"documents": [{"name": "n.txt", "text": "A note."}]}
    assert client.post("/v1/documents", json=body, headers={"X-API-Key": "nope"}).status_code == 401
    assert client.post("/v1/documents", json=body, headers={"Authorization": "Bearer k"}).status_code == 200
    assert len(calls) == 2


def test_no_cors_headers_unless_configured(client):
    pre = client.options(
        "/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers
    got = client.get("/v1/search", params={"q": "Seine"}, headers={"Origin": "https://evil.example"})
    assert got.status_code == 200 and "access-control-allow-origin" not in got.headers


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../secret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/static//etc/passwd",
        "/ui/document/../../secret.txt",
        "/v1/documents/..%2f..%2fsecret.txt",
        "/static/../app.py",
    ],
)
def test_no_route_reads_files_outside(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404, 405, 422) and "SECRET" not in r.text and "import" not in r.text


def test_the_server_binds_to_loopback_by_default(monkeypatch, tmp_path):
    import uvicorn

    import wenda.serve.app

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: seen.update(host=host, port=port))
    monkeypatch.setattr(wenda.serve.app, "create_app", lambda *a, **k: object())
    import importlib

    from typer.testing import CliRunner

    from wenda.cli.app import _COMMANDS, app

    for name in _COMMANDS:  # registers every command, as the entry point does
        importlib.import_module(f"wenda.cli.{name}")

    assert CliRunner().invoke(app, ["serve", "--index", str(tmp_path)]).exit_code == 0
    assert seen["host"] == "127.0.0.1"


_LOADERS = {"load", "loads", "Unpickler"}


def _risky_calls(tree: ast.AST) -> list[str]:
    """Imports of pickle-like modules, eval/exec, torch.load without weights_only=True and
    np.load without allow_pickle=False, in one module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            )
            found += [
                n
                for n in names
                if n.split(".")[0]
                in {"pickle", "cPickle", "dill", "joblib", "shelve", "marshal", "cloudpickle"}
            ]
        elif isinstance(node, ast.Call):
            func, kws = node.func, {k.arg: k.value for k in node.keywords}
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if isinstance(func, ast.Name) and name in {"eval", "exec"}:
                found.append(name)
            if owner == "torch" and name == "load":
                ok = isinstance(kws.get("weights_only"), ast.Constant) and kws["weights_only"].value is True
                found += [] if ok else ["torch.load without weights_only=True"]
            if owner == "np" and name == "load":
                ok = isinstance(kws.get("allow_pickle"), ast.Constant) and kws["allow_pickle"].value is False
                found += [] if ok else ["np.load without allow_pickle=False"]
            if name == "from_pretrained" and "trust_remote_code" in kws:
                found.append("trust_remote_code")
    return found


def test_no_pickle_or_code_execution_in_the_package():
    risky = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        calls = _risky_calls(ast.parse(path.read_text(encoding="utf-8")))
        if calls:
            risky[str(path.relative_to(PACKAGE))] = calls
    assert risky == {}


def test_the_scan_would_catch_them():
    code = "import pickle\nimport numpy as np\nimport torch\neval('1')\nnp.load('x')\ntorch.load('m')\nm.eval()\n"
    assert len(_risky_calls(ast.parse(code))) == 4  # m.eval() (a module's eval mode) is not one
