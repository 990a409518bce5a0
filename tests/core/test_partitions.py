import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.partitions import iter_batches


def test_a_table_in_small_parts_is_read_in_order_in_batches_of_at_least_the_asked_size(tmp_path):
    folder = tmp_path / "sentences.parquet"
    folder.mkdir()
    n = 0
    for part, size in enumerate([3, 1, 4, 1, 5, 9, 2, 6]):
        pq.write_table(pa.table({"i": list(range(n, n + size))}), folder / f"part-{part:06d}.parquet")
        n += size
    batches = list(iter_batches(folder, columns=["i"], batch_size=10))
    assert [b.num_rows for b in batches] == [14, 11, 6]  # whole parts, joined until the size is reached
    assert [i for b in batches for i in b.column("i").to_pylist()] == list(range(n))


def test_a_single_parquet_file_is_read_as_it_was_before_tables_came_in_parts(tmp_path):
    path = tmp_path / "sentences.parquet"
    pq.write_table(pa.table({"i": list(range(25))}), path)
    assert [b.num_rows for b in iter_batches(path, columns=["i"], batch_size=10)] == [10, 10, 5]
