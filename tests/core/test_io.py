import pytest

from pipeline.core.io import text_writer, write_all


def test_write_all_leaves_no_output_when_one_writer_fails(tmp_path):
    (tmp_path / "a.txt").write_text("old")

    def broken(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_all({tmp_path / "a.txt": text_writer("new"), tmp_path / "b.txt": broken})
    assert (tmp_path / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_write_all_replaces_every_target_on_success(tmp_path):
    write_all({tmp_path / "x/a.txt": text_writer("1"), tmp_path / "b.txt": text_writer("2")})
    assert (tmp_path / "x/a.txt").read_text() == "1" and (tmp_path / "b.txt").read_text() == "2"
