"""Record types: every table has exactly its record's columns, in order."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipeline.core.records import MENTION, MENTION_SCHEMA_TYPES, SENTENCE, arrow_schema, frame


def test_a_frame_has_the_record_columns_in_order_even_when_empty():
    assert list(frame([], SENTENCE).columns) == list(SENTENCE)
    rows = [{"sentence_id": "s1", "text": "Hello."}]
    df = frame(rows, SENTENCE)
    assert list(df.columns) == list(SENTENCE) and df.loc[0, "text"] == "Hello."


def test_a_row_with_a_column_the_record_lacks_is_an_error_not_a_silent_drop():
    with pytest.raises(KeyError, match="not_a_column"):
        frame([{"sentence_id": "s1", "not_a_column": 1}], SENTENCE)


def test_the_arrow_schema_types_offsets_as_integers_and_the_rest_as_text():
    schema = arrow_schema(MENTION, MENTION_SCHEMA_TYPES)
    assert schema.names == list(MENTION)
    assert schema.field("start").type == pa.int64() and schema.field("in_gazetteer").type == pa.bool_()
    assert schema.field("label").type == pa.string()
