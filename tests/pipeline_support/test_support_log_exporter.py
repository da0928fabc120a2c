"""log_exporter: a verified .tar.gz with a SHA-256 manifest, and nothing deleted unless verified."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile

import pytest

from pipeline import log_exporter
from pipeline.log_exporter import MANIFEST, ArchiveMismatch, export, parse_manifest, rotated_logs


@pytest.fixture
def logs(root):
    d = root / "logs"
    (d / "old").mkdir(parents=True)
    contents = {
        "logs/orchestrator.log.1": b"line one\n" * 100,
        "logs/orchestrator.log.2026-11-23": b"yesterday\n",
        "logs/old/scan_video.log.3.gz": bytes(range(256)) * 4,
    }
    for rel, data in contents.items():
        (root / rel).write_bytes(data)
    (d / "orchestrator.log").write_bytes(b"live\n")
    (d / "notes.txt").write_bytes(b"not a log\n")
    return contents


def test_archive_holds_the_rotated_logs_and_a_matching_manifest(root, logs):
    result = export(root)
    assert result.files_archived == 3 and result.archive.parent == root / "archives"
    assert result.archive.name.endswith(".tar.gz")
    with tarfile.open(result.archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    manifest = parse_manifest(members.pop(MANIFEST))
    assert members == logs
    assert manifest == {rel: hashlib.sha256(data).hexdigest() for rel, data in logs.items()}
    # sha256sum itself accepts the manifest against the extracted files.
    check = subprocess.run(["sha256sum", "--check", "--quiet", "-"], input=members_manifest(result.archive),
                           cwd=extract(result.archive, root.parent / "x"), capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    left = sorted(str(p.relative_to(root)) for p in (root / "logs").rglob("*") if p.is_file())
    assert left == ["logs/notes.txt", "logs/orchestrator.log"]


def members_manifest(archive):
    with tarfile.open(archive) as tar:
        return tar.extractfile(MANIFEST).read()


def extract(archive, dest):
    dest.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def test_a_mismatch_deletes_nothing_and_removes_the_archive(root, logs, monkeypatch):
    real = log_exporter.sha256_file
    # The manifest records a digest the archived bytes do not have: verification must catch it.
    monkeypatch.setattr(log_exporter, "sha256_file",
                        lambda p: "0" * 64 if p.name == "orchestrator.log.1" else real(p))
    with pytest.raises(ArchiveMismatch, match="orchestrator.log.1"):
        export(root)
    assert all((root / rel).read_bytes() == data for rel, data in logs.items())
    assert list((root / "archives").iterdir()) == []


def test_a_log_changed_while_archiving_is_not_deleted(root, logs, monkeypatch):
    real = log_exporter.write_archive

    def write_then_append(root_, files, dest):
        sources = real(root_, files, dest)
        with open(root / "logs/orchestrator.log.1", "ab") as fh:
            fh.write(b"late line\n")
        return sources
    monkeypatch.setattr(log_exporter, "write_archive", write_then_append)
    with pytest.raises(ArchiveMismatch, match="changed"):
        export(root)
    assert (root / "logs/orchestrator.log.1").read_bytes().endswith(b"late line\n")
    assert (root / "logs/orchestrator.log.2026-11-23").exists()
    assert list((root / "archives").iterdir()) == []


def test_held_and_symlinked_logs_stay(root, logs, tmp_path):
    outside = tmp_path / "outside.log.1"
    outside.write_text("not ours\n")
    (root / "logs" / "linked.log.1").symlink_to(outside)
    held = root / "logs" / "busy.log.1"
    held.write_text("still being written\n")
    p = subprocess.Popen([sys.executable, "-c", "import sys; f = open(sys.argv[1]); print('ok', flush=True); "
                          "sys.stdin.read()", str(held)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ok"
        names = sorted(path.name for path in rotated_logs(root))
        assert names == ["orchestrator.log.1", "orchestrator.log.2026-11-23", "scan_video.log.3.gz"]
        export(root)
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    assert held.exists() and (root / "logs" / "linked.log.1").is_symlink() and outside.exists()


def test_dry_run_writes_nothing(root, logs):
    assert export(root, dry_run=True).archive is None
    assert not (root / "archives").exists()
    assert all((root / rel).exists() for rel in logs)
