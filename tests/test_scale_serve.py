"""``wenda serve --ray``: two Ray Serve replicas of the HTTP app on a local Ray with 2 CPUs, behind
one route; traffic reaches both, and a document added through one is found through every one."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("ray.serve", reason="replicated serving needs ray[serve]: pip install 'wenda[scale]'")
httpx = pytest.importorskip("httpx")

from wenda.collection import Collection  # noqa: E402
from wenda.config import Settings  # noqa: E402

KEY = "replica-test-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An index of a few documents served by 2 replicas; yields (base url, index dir)."""
    import ray

    from wenda.scale import rayserve

    root = tmp_path_factory.mktemp("serve")
    docs = root / "docs"
    docs.mkdir()
    (docs / "rivers.txt").write_text("The Seine flows through Paris. The Thames flows through London.\n")
    (docs / "space.txt").write_text("Mars has two moons, Phobos and Deimos.\n")
    with Collection.open_or_create(root / "idx", ["bm25"]) as col:
        col.add([docs])
    cfg = Settings(api_key=KEY, write_wait_s=30)
    port = _free_port()
    rayserve.start("local", root / "idx", None, None, cfg, 2, "127.0.0.1", port, workers=2, blocking=False)
    yield f"http://127.0.0.1:{port}", root
    rayserve.stop()
    ray.shutdown()


def _many(url: str, n: int, **params) -> list[httpx.Response]:
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: client.get(url, params=params), range(n)))


def test_two_replicas_answer_behind_one_route(served):
    base, _ = served
    health = _many(f"{base}/v1/health", 40)
    assert all(r.status_code == 200 for r in health)
    assert {r.json()["documents"] for r in health} == {2}
    assert len({r.json()["server"] for r in health}) == 2  # both replicas answered
    hits = _many(f"{base}/v1/search", 10, q="Which river flows through Paris?", k=1)
    assert all(r.status_code == 200 and "Seine" in r.json()["hits"][0]["text"] for r in hits)


def test_a_document_added_through_one_replica_is_found_through_all(served):
    base, _ = served
    body = {"documents": [{"name": "volcano.txt", "text": "Mount Etna is an active volcano in Sicily."}]}
    with httpx.Client(timeout=60) as client:
        assert client.post(f"{base}/v1/documents", json=body).status_code in (401, 403)
        added = client.post(f"{base}/v1/documents", json=body, headers={"X-API-Key": KEY})
    assert added.status_code == 200 and added.json()["documents_added"] == 1
    found = _many(f"{base}/v1/search", 40, q="Etna volcano", k=1)
    assert all(r.status_code == 200 and "Etna" in r.json()["hits"][0]["text"] for r in found)
    servers = {r.json()["server"] for r in _many(f"{base}/v1/health", 40)}
    counts = {r.json()["documents"] for r in _many(f"{base}/v1/health", 40)}
    assert len(servers) == 2 and counts == {3}


def test_serving_on_ray_refuses_a_missing_index(tmp_path):
    from tests.cli.test_cli import wenda

    result = wenda("serve", "--index", str(tmp_path / "none"), "--ray", "local")
    assert result.returncode != 0 and "none" in result.stderr and "Traceback" not in result.stderr
