"""The cluster backend against real Xapian servers (xapian-tcpsrv) on 127.0.0.1: the same
answers as the local engine, and what a user sees when nodes fail and come back."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import DataError, DocbotError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_nodes import Node  # noqa: E402
from test_qa import KNOWN_MISSES  # noqa: E402

try:
    from index import cluster
    cluster.load_xapian()
    SERVER = cluster.server_program()
    WHY = None if SERVER else "xapian-tcpsrv is not installed (apt-get install xapian-tools)"
except DocbotError as e:
    cluster, SERVER, WHY = None, None, str(e)

REQUIRED = os.environ.get("DOCBOT_REQUIRE_CLUSTER") == "1"  # set by .ci/run


def test_cluster_engine_is_there_when_required():
    """CI installs Xapian: there the cluster tests must run, not be skipped."""
    if not REQUIRED:
        pytest.skip("DOCBOT_REQUIRE_CLUSTER is not set")
    assert WHY is None, WHY


needs_xapian = pytest.mark.skipif(WHY is not None, reason=f"cluster tests need Xapian: {WHY}")


def qa_questions() -> list[str]:
    import yaml

    out = []
    for path in sorted((ROOT / "tests" / "qa").glob("*.yaml")):
        out += [c["q"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))
                if isinstance(c, dict) and "q" in c]
    return out


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    return cluster.build(DATA, 2, tmp_path_factory.mktemp("shards"))


@pytest.fixture(scope="module")
def nodes(shards):
    """Shard 1 on two nodes (a replica each), shard 2 on one."""
    started = [Node(SERVER, shards[0]).start(), Node(SERVER, shards[0]).start(),
               Node(SERVER, shards[1]).start()]
    yield started
    for n in started:
        n.stop()


@pytest.fixture
def cluster_file(nodes, tmp_path) -> Path:
    for n in nodes:  # a test may have stopped one
        if n.proc is None:
            n.start()
    path = tmp_path / "cluster.yaml"
    path.write_text(f"- replicas: [{nodes[0].address}, {nodes[1].address}]\n"
                    f"- replicas: [{nodes[2].address}]\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The local answer service as the cluster's works: without the endnotes field, which the
    shards do not hold (test_the_cluster_lacks_only_the_endnotes_field)."""
    from index.answering.answer import Answerer

    real = Answerer.open(DATA, tmp_path_factory.mktemp("local") / "index")
    return Answerer(real.index, real.facts, endnotes=False)


def open_cluster(path: Path):
    return cluster.ClusterAnswerer.open_cluster(path)


@needs_xapian
def test_two_nodes_start_in_seconds(shards):
    t = time.monotonic()
    a, b = Node(SERVER, shards[0]).start(), Node(SERVER, shards[1]).start()
    took = time.monotonic() - t
    a.stop(), b.stop()
    assert took < 5, took


@needs_xapian
def test_build_splits_documents_by_a_stable_hash(shards, tmp_path):
    again = cluster.build(DATA, 2, tmp_path / "again")
    xapian = cluster.load_xapian()
    held = []
    for first, second in zip(shards, again):
        a = json.loads(xapian.Database(str(first)).get_metadata("docbot"))
        b = json.loads(xapian.Database(str(second)).get_metadata("docbot"))
        assert [d["id"] for d in a["docs"]] == [d["id"] for d in b["docs"]]
        held.append({d["id"] for d in a["docs"]})
    assert held[0] and held[1] and not held[0] & held[1]


@needs_xapian
def test_every_qa_answer_is_the_local_one(cluster_file, local):
    """Same passages, same scores, same highlights, facts and abstentions as the local engine:
    corpus-wide statistics, so no score depends on the shard holding the passage."""
    remote = open_cluster(cluster_file)
    for q in qa_questions():
        assert remote.ask(q, k=10).to_dict() == local.ask(q, k=10).to_dict(), q
    nothing = remote.ask("zebra quantum chromodynamics")
    assert not nothing.answered and nothing.message == local.ask("zebra quantum chromodynamics").message


@needs_xapian
def test_the_cluster_lacks_only_the_endnotes_field(cluster_file, tmp_path):
    """With the endnotes field the local engine finds a passage by the source its endnote
    cites; the cluster, like the local engine without the field, does not."""
    from index.answering.answer import Answerer

    real = Answerer.open(DATA, tmp_path / "index")
    plain = Answerer(real.index, real.facts, endnotes=False)
    remote = open_cluster(cluster_file)
    differs = [q for q in qa_questions()
               if real.ask(q, k=10).to_dict() != plain.ask(q, k=10).to_dict()]
    assert differs  # the field changes some answers ...
    for q in differs:  # ... and the cluster answers those as the engine without it does
        assert remote.ask(q, k=10).to_dict() == plain.ask(q, k=10).to_dict(), q


@needs_xapian
def test_ask_cli_with_cluster_file(cluster_file, tmp_path):
    env = dict(os.environ, NO_COLOR="1")
    q = "When did Mongolia and North Korea establish diplomatic relations?\nwho signed the 1986 treaty?\n"
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl", *a], input=q,
                                    capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    via_cluster = run("--cluster", str(cluster_file))
    local = run("--data", str(DATA), "--index", str(tmp_path / "index"))
    assert via_cluster.returncode == 0, via_cluster.stderr
    assert via_cluster.stdout == local.stdout
    assert [json.loads(l)["answered"] for l in via_cluster.stdout.splitlines()] == [True, True]


@needs_xapian
def test_source_and_docs_work_on_the_cluster(cluster_file, local):
    from bot.commands import handle
    from bot.session import Session

    remote, here = Session(open_cluster(cluster_file)), Session(local)
    for s in (remote, here):
        handle(s, "Who signed the 1986 treaty of friendship?")
    a, b = handle(remote, "/source 2"), handle(here, "/source 2")
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks] and len(a.chunks) >= 2
    assert a.focus == b.focus
    docs = handle(remote, "/docs").docs
    assert sorted(d["id"] for d in docs) == sorted(d["id"] for d in handle(here, "/docs").docs)


@needs_xapian
def test_a_replica_down_the_other_answers(cluster_file, nodes, local):
    remote = open_cluster(cluster_file)
    q = "When did Mongolia and North Korea establish diplomatic relations?"
    assert remote.ask(q).to_dict() == local.ask(q).to_dict()
    nodes[0].stop()  # the replica in use for shard 1
    for question in qa_questions()[:20]:
        got = remote.ask(question, k=5)
        assert got.to_dict() == local.ask(question, k=5).to_dict(), question


@needs_xapian
def test_a_shard_with_no_live_replica_is_named_and_comes_back(cluster_file, nodes, local,
                                                             monkeypatch):
    monkeypatch.setattr(cluster, "RETRY_SECONDS", 0.0)
    remote = open_cluster(cluster_file)
    q = "Russia and the DPRK treaty of 2000"
    full = local.ask(q, k=5)
    assert remote.ask(q, k=5).to_dict() == full.to_dict()
    nodes[0].stop(), nodes[1].stop()  # both copies of shard 1
    part = remote.ask(q, k=5)
    assert part.message and "could not be searched" in part.message
    assert "shard 1 of 2" in part.message and nodes[0].address in part.message
    held_by_2 = {d["id"] for d in json.loads(
        cluster.load_xapian().Database(str(nodes[2].shard)).get_metadata("docbot"))["docs"]}
    assert all(p.hit.chunk.doc in held_by_2 for p in part.passages)
    nodes[1].start()
    assert remote.ask(q, k=5).to_dict() == full.to_dict()  # used again, notice gone


@needs_xapian
def test_every_shard_down_gives_a_notice_not_a_traceback(cluster_file, nodes):
    remote = open_cluster(cluster_file)
    for n in nodes:
        n.stop()
    got = remote.ask("When did Mongolia and North Korea establish diplomatic relations?")
    assert not got.passages and "shard 1 of 2" in got.message and "shard 2 of 2" in got.message
    env = dict(os.environ, NO_COLOR="1")
    r = subprocess.run([sys.executable, "-m", "bot", "ask", "--cluster", str(cluster_file), "hello"],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("docbot: ") and "no shard of the cluster answered" in r.stderr


@needs_xapian
def test_status_reports_each_replica(cluster_file, nodes):
    nodes[1].stop()
    r = subprocess.run([sys.executable, "-m", "bot", "cluster", "status", "--cluster",
                        str(cluster_file)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and "DOWN" in lines[1] and lines[0].endswith("documents")


@needs_xapian
@pytest.mark.parametrize("text, needle", [
    ("- replicas: [localhost]\n", "cluster.yaml:1: expected host:port"),
    ("shards: []\n", "cluster.yaml:1: expected a list of shards"),
    ("- replicas: [127.0.0.1:1]\n- hosts: [a:1]\n", "cluster.yaml:2: unknown key 'hosts'"),
    ("- [127.0.0.1:99999]\n", "expected host:port"),
])
def test_bad_cluster_file_names_the_line(tmp_path, text, needle):
    path = tmp_path / "cluster.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=needle.replace("[", r"\[")):
        cluster.load_cluster(path)


@needs_xapian
def test_shards_listed_out_of_order_are_refused(nodes, tmp_path):
    for n in nodes:
        if n.proc is None:
            n.start()
    path = tmp_path / "cluster.yaml"
    path.write_text(f"- [{nodes[2].address}]\n- [{nodes[0].address}]\n", encoding="utf-8")
    with pytest.raises(DataError, match="serves shard 2, but is listed as shard 1"):
        cluster.ClusterIndex(cluster.load_cluster(path))


@needs_xapian
def test_rebuild_with_fewer_shards_leaves_no_stale_shard(tmp_path):
    out = tmp_path / "out"
    cluster.build(DATA, 3, out)
    cluster.build(DATA, 1, out)
    assert sorted(p.name for p in out.iterdir()) == ["shard-0"]


@needs_xapian
def test_local_index_and_cluster_offer_the_same_surface(cluster_file, local):
    assert isinstance(local.index, cluster.Searcher)
    assert isinstance(open_cluster(cluster_file).index, cluster.Searcher)


@needs_xapian
def test_eval_runs_the_qa_suite_on_the_cluster(cluster_file, tmp_path):
    """The cluster passes and fails the same Q&A cases as the local engine."""
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", "eval", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=ROOT, timeout=120)
    remote = run("--cluster", str(cluster_file))
    here = run("--data", str(DATA), "--index", str(tmp_path / "index"))
    assert "Traceback" not in remote.stderr
    assert (remote.returncode, remote.stdout) == (here.returncode, here.stdout)
    misses = len(KNOWN_MISSES)
    assert f"{len(qa_questions()) - misses} passed, {misses} failed" in remote.stdout


@needs_xapian
def test_a_shard_of_an_older_format_asks_for_a_rebuild(shards, tmp_path):
    """Shards of format 1 hold no token arrays: refused with one line naming the fix."""
    import shutil

    xapian = cluster.load_xapian()
    old = []
    for i, shard in enumerate(shards):
        copy = tmp_path / f"shard-{i}"
        shutil.copytree(shard, copy)
        db = xapian.WritableDatabase(str(copy), xapian.DB_OPEN)
        meta = json.loads(db.get_metadata("docbot"))
        db.set_metadata("docbot", json.dumps(dict(meta, format=1)).encode("utf-8"))
        db.commit()
        db.close()
        old.append(Node(SERVER, copy).start())
    try:
        path = tmp_path / "cluster.yaml"
        path.write_text("".join(f"- [{n.address}]\n" for n in old), encoding="utf-8")
        r = subprocess.run([sys.executable, "-m", "bot", "ask", "--cluster", str(path), "who?"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert "(format 1); rebuild with docbot cluster build" in r.stderr
    finally:
        for n in old:
            n.stop()
