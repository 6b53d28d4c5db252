"""Per-document updates of a cluster's shards, against real Xapian servers (xapian-tcpsrv) on
127.0.0.1: an added, changed or deleted document changes only its own passages in its shard,
the servers keep serving, and every score and answer afterwards is a fresh build's."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_nodes import Node  # noqa: E402
from test_cluster import SERVER, cluster, needs_xapian, qa_questions  # noqa: E402

pytestmark = needs_xapian

# Documents besides the bundled two, each a few paragraphs long enough to be passages.
EXTRA = {
    "lighthouses.txt": (
        "Keepers of the Northern Coast\n\nThe stations\n\n"
        "The lighthouse on Utholmen was first lit in 1859 and kept by three men who took turns "
        "at the lamp through the night, writing the weather into the logbook every four hours.\n\n"
        "In the hard winter of 1867 the station on Utholmen was cut off by ice for nine weeks, "
        "and the keepers lived on salted fish and the last of the flour until a boat came.\n"
    ),
    "ferries.txt": (
        "Ferries of the Sound\n\nThe crossing\n\n"
        "The ferry between Helsingor and Helsingborg has crossed the Sound since the fifteenth "
        "century; the first steam ferry made the crossing in 1828 and took forty minutes.\n\n"
        "Ice stopped the crossing in the winters of 1942 and 1947, when people walked across "
        "the frozen Sound between the two towns for several weeks.\n"
    ),
    "tides.txt": (
        "Tide tables\n\n"
        "Tide tables for the harbour are printed every December by the harbour office and give "
        "the times of high and low water for each day of the coming year at the pier.\n\n"
        "The highest tide recorded at the pier was 3.2 metres above chart datum, in the storm "
        "of January 1953 that flooded the lower town and the fish market.\n"
    ),
    "pilots.md": (
        "---\ntitle: The pilot service\n---\n"
        "Pilots have guided ships into the harbour since 1720. A pilot boarded an incoming ship "
        "at the outer buoy and brought it to the quay, paid by the ship's tonnage.\n\n"
        "The pilot station moved to the new breakwater in 1904, when the harbour was deepened "
        "for steamships and the old wooden quay was replaced by one of stone.\n"
    ),
}
ADDED = ("canal.txt", (
    "The canal\n\n"
    "The canal from the harbour to the lakes was dug between 1832 and 1840 by soldiers and "
    "hired labourers, with fourteen locks that lift a boat forty-one metres.\n\n"
    "Timber from the inland forests came down the canal on barges until the railway took "
    "the trade in the 1870s; the last barge of timber passed the locks in 1921.\n"))
NEW_QUESTIONS = [
    "When was the canal dug?", "How many locks does the canal have?",
    "When did the last barge of timber pass the locks?", "When was the lighthouse on Utholmen lit?",
    "How long was the Utholmen station cut off by ice?", "When did the first steam ferry cross?",
    "What was the highest tide recorded at the pier?", "When did the pilot station move?",
    "Who walked across the frozen Sound?",
]


def make_data(where: Path) -> Path:
    data = where / "data"
    shutil.copytree(DATA, data)
    for name, text in EXTRA.items():
        (data / "docs" / name).write_text(text, encoding="utf-8")
    return data


def change(data: Path) -> None:
    """One document added, one changed (a paragraph rewritten, one added), one deleted."""
    (data / "docs" / ADDED[0]).write_text(ADDED[1], encoding="utf-8")
    path = data / "docs" / "lighthouses.txt"
    text = path.read_text(encoding="utf-8").replace("three men", "four men and a boy")
    path.write_text(text + "\nThe lamp was electrified in 1927 and the last keeper left the "
                    "island in 1968, when the light became automatic.\n", encoding="utf-8")
    (data / "docs" / "ferries.txt").unlink()


def passages(data: Path, *names: str) -> int:
    from index.reading.corpus import load_document

    return sum(len(load_document(data / "docs" / n, data / "docs").chunks) for n in names)


def serve(shards: list[Path]) -> tuple[list[Node], Path]:
    nodes = [Node(SERVER, s).start() for s in shards]
    path = shards[0].parent / "cluster.yaml"
    path.write_text("".join(f"- [{n.address}]\n" for n in nodes), encoding="utf-8")
    return nodes, path


@pytest.fixture
def served(tmp_path):
    """A data folder with six documents, its cluster built and served: (data, out, cluster
    file, nodes)."""
    data = make_data(tmp_path)
    out = tmp_path / "shards"
    nodes, path = serve(cluster.build(data, 2, out))
    yield data, out, path, nodes
    for n in nodes:
        n.stop()


def stats(shard: Path, terms: list[str]) -> dict:
    db = cluster.load_xapian().Database(str(shard))
    got = {"passages": db.get_doccount(), "length": db.get_total_length(),
           "df": {t: db.get_termfreq(t) for t in terms}}
    db.close()
    return got


def ranked(index, question: str) -> list[tuple[str, float]]:
    return [(h.chunk.id, h.score) for h in index.search(question, 20)]


def test_an_updated_cluster_scores_and_answers_as_a_fresh_build(served, tmp_path):
    data, out, path, _ = served
    live = cluster.ClusterAnswerer.open_cluster(path)  # a bot's client, open all along
    before = live.ask("When was the lighthouse on Utholmen lit?").to_dict()
    old = passages(data, "lighthouses.txt", "ferries.txt")
    change(data)
    done = cluster.update(data, 2, out)
    assert not done.rebuilt
    assert (done.added, done.changed, done.deleted) == (["canal"], ["lighthouses"], ["ferries"])
    assert done.passages_deleted == old
    assert done.passages_added == passages(data, "lighthouses.txt", "canal.txt")

    fresh_nodes, fresh_path = serve(cluster.build(data, 2, tmp_path / "fresh"))
    try:
        fresh = cluster.ClusterAnswerer.open_cluster(fresh_path)
        assert live.refreshed() is not None
        updated = cluster.ClusterAnswerer.open_cluster(path)
        analyzer = fresh.index.analyzer
        terms = sorted({t for q in qa_questions() + NEW_QUESTIONS for t in analyzer.terms(q)})
        for i in range(2):  # Xapian's statistics, shard by shard
            assert stats(out / f"shard-{i}", terms) == stats(tmp_path / "fresh" / f"shard-{i}", terms)
        for q in qa_questions() + NEW_QUESTIONS:
            want = fresh.ask(q, k=10).to_dict()
            assert ranked(updated.index, q) == ranked(fresh.index, q), q
            assert updated.ask(q, k=10).to_dict() == want, q
            assert live.ask(q, k=10).to_dict() == want, q
        assert live.ask("When was the lighthouse on Utholmen lit?").to_dict() != before
        assert sorted(d["id"] for d in live.index.documents) == sorted(
            d["id"] for d in fresh.index.documents)
    finally:
        for n in fresh_nodes:
            n.stop()


def test_an_update_rewrites_no_shard_and_the_servers_keep_serving(served):
    """The shard folders stay where they are (a build writes new ones), passages of untouched
    documents keep their place, and the running servers serve the change."""
    data, out, path, nodes = served
    xapian = cluster.load_xapian()
    folders = {i: (out / f"shard-{i}").stat().st_ino for i in range(2)}

    def places(i: int) -> dict:
        db = xapian.Database(str(out / f"shard-{i}"))
        got = {db.get_document(p.docid).get_value(cluster.ID_SLOT).decode(): p.docid
               for p in db.postlist("")}
        db.close()
        return got

    was = {i: places(i) for i in range(2)}
    change(data)
    done = cluster.update(data, 2, out)
    assert {i: (out / f"shard-{i}").stat().st_ino for i in range(2)} == folders
    for i in range(2):
        now = places(i)
        kept = {cid for cid in was[i] if not cid.startswith(("lighthouses:", "ferries:"))}
        assert kept and all(now[cid] == was[i][cid] for cid in kept)
    assert sorted(done.written) == sorted({cluster.shard_of(d, 2)
                                           for d in ("canal", "lighthouses", "ferries")})
    r = subprocess.run([sys.executable, "-m", "bot", "ask", "--cluster", str(path), "--json",
                        "How many locks does the canal have?"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["passages"][0]["doc"] == "canal"
    assert all(n.proc.poll() is None for n in nodes)


def test_a_client_overtaken_by_updates_answers_from_the_newest(served):
    """Several updates while a client reads an older revision: Xapian tells it the revision
    it read is gone, and it reads the newest instead of failing."""
    data, out, path, _ = served
    live = cluster.ClusterAnswerer.open_cluster(path)
    q = "When was the lighthouse on Utholmen lit?"
    assert live.ask(q).answered
    doc = data / "docs" / "lighthouses.txt"
    for year in (1860, 1861, 1862, 1863):
        doc.write_text(EXTRA["lighthouses.txt"].replace("1859", str(year)), encoding="utf-8")
        assert cluster.update(data, 2, out).changed == ["lighthouses"]
    got = live.ask(q)
    assert got.answered and "1863" in got.passages[0].hit.chunk.text
    # the question reopened the shards; the bot's reload still learns they changed
    again = live.refreshed()
    assert again is not None and again.refreshed() is None


def test_cluster_build_prints_what_changed(tmp_path):
    data = make_data(tmp_path)
    out = tmp_path / "shards"
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot", "cluster", "build", "--data", str(data), "--shards", "2",
         "--out", str(out), *a], capture_output=True, text=True, cwd=ROOT, timeout=120)
    first = run()
    assert first.returncode == 0, first.stderr
    assert "built 2 shards" in first.stdout and "(no shards yet): 6 documents" in first.stdout
    assert "up to date" in run().stdout
    change(data)
    r = run()
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert len(line.splitlines()) == 1 and line.startswith(f"updated shards in {out} in ")
    assert "1 added, 1 changed, 1 deleted (canal, lighthouses, ferries)" in line
    assert "passages written" in line and "deleted;" in line
    again = run("--rebuild")
    assert "built 2 shards" in again.stdout and "(--rebuild): 6 documents" in again.stdout


def test_what_an_update_cannot_take_builds_anew(tmp_path):
    data = make_data(tmp_path)
    out = tmp_path / "shards"
    cluster.build(data, 2, out)
    aliases = data / "aliases.yaml"
    aliases.write_text(aliases.read_text(encoding="utf-8") + "\nUtholmen:\n  - Uth island\n",
                       encoding="utf-8")
    assert "aliases changed" in cluster.update(data, 2, out).rebuilt
    assert "not 3" in cluster.update(data, 3, out).rebuilt
    for name in list(EXTRA)[:3]:
        (data / "docs" / name).write_text(EXTRA[name] + "\nOne more line.\n", encoding="utf-8")
    assert cluster.update(data, 3, out).rebuilt == ""  # half of them: one at a time
    for name in EXTRA:
        (data / "docs" / name).write_text(EXTRA[name] + "\nAnother line.\n", encoding="utf-8")
    assert "4 of 6 documents are new or changed" in cluster.update(data, 3, out).rebuilt


def test_a_document_that_cannot_be_read_leaves_every_shard_as_it_was(served):
    data, out, path, _ = served
    revisions = [cluster.load_xapian().Database(str(out / f"shard-{i}")).get_revision()
                 for i in range(2)]
    (data / "docs" / ADDED[0]).write_text(ADDED[1], encoding="utf-8")
    (data / "docs" / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    from index.errors import DataError

    with pytest.raises(DataError, match="broken.md"):
        cluster.update(data, 2, out)
    assert [cluster.load_xapian().Database(str(out / f"shard-{i}")).get_revision()
            for i in range(2)] == revisions


def test_a_bot_on_the_cluster_answers_from_an_added_document_without_a_restart(served):
    """The bot's reload reopens the shards: `docbot cluster build` is all it takes."""
    from fake_telegram import FakeTelegram
    from test_telegram_e2e import WAIT, Bot, no_errors, say

    data, out, path, _ = served
    remote = cluster.ClusterAnswerer.open_cluster(path)
    with FakeTelegram() as tg, Bot(tg, remote, reload_seconds=0.2) as bot:
        q = "How many locks does the canal have?"
        assert "fourteen locks" not in say(tg, 190, q)[0].text
        change(data)
        r = subprocess.run([sys.executable, "-m", "bot", "cluster", "build", "--data", str(data),
                            "--shards", "2", "--out", str(out)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith("updated shards"), r.stderr
        deadline = time.monotonic() + WAIT
        while "fourteen locks" not in say(tg, 190, q)[0].text:
            assert time.monotonic() < deadline, "the added document was never served"
            time.sleep(0.3)
        # the servers show the new passages at once; the reload serves the new document list
        while bot.app.bot_data["docbot"].answerer is remote:
            assert time.monotonic() < deadline, "the reload never served the updated shards"
            time.sleep(0.1)
        docs = bot.app.bot_data["docbot"].answerer.index.documents
        assert "canal" in {d["id"] for d in docs} and "ferries" not in {d["id"] for d in docs}
        no_errors(tg, 190)
