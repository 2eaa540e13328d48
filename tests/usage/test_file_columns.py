"""Reading a usage file as columns (Polars) gives exactly what reading it row by row gives:
the same records, the same bad rows with the same reasons, the same row numbers."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from linedesk.usage.files import Batch, UsageFileParser

CELLS = {
    "record_id": ["r1", "r2", "r3", " r4", "", "x" * 65, "ok-5"],
    "line": ["+393471234567", "3471234567", "", "12", " +393471234567"],
    "started_at": [
        "2026-11-03T10:00:00Z",
        "2026-11-03T10:00:00+01:00",
        "2026-10-25 01:30:00.5-02:00",
        "2026-11-03T10:00:00",
        "yesterday",
        "2026-02-30T10:00:00Z",
        "2026-11-03T10:00Z",
    ],
    "type": ["data", "voice", "sms", "Data", "", "fax"],
    "quantity": ["0", "5", "10000000000000", "10000000000001", "-1", "5.0", " 5", "007", ""],
    "destination": ["", "national", "eu_roaming", "premium", "moon"],
}
NAMES = list(CELLS)
GOOD = {
    "record_id": "g",
    "line": "+393471234567",
    "started_at": "2026-11-03T10:00:00Z",
    "type": "voice",
    "quantity": "30",
    "destination": "national",
}


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Mostly good rows (so many pieces are read as columns), some with an odd cell."""
    out = []
    for n in range(draw(st.integers(1, 12))):
        row = {**GOOD, "record_id": f"g{n}"}
        if draw(st.booleans()):
            name = draw(st.sampled_from(NAMES))
            row[name] = draw(st.sampled_from(CELLS[name]))
        out.append(row)
    return out


def _parse(text: str, columns: bool, batch_size: int):
    parser = UsageFileParser(batch_size, columns=columns)
    batches = [*parser.feed(text), *parser.finish()]
    return (
        [b.rows for b in batches],
        [[(n, r.model_dump()) for n, r in b.records] for b in batches],
        [[e.as_dict() for e in b.errors] for b in batches],
    )


def _same(text: str, batch_size: int) -> None:
    assert _parse(text, True, batch_size) == _parse(text, False, batch_size)


@given(
    rows(),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.booleans(),
    st.integers(1, 5),
)
@settings(max_examples=150, deadline=None)
def test_csv_as_columns_reads_like_row_by_row(items, sep, end, blank, short, batch_size):
    lines = [sep.join(NAMES)] + [sep.join(row[n] for n in NAMES) for row in items]
    if blank:
        lines.insert(2, "")
    if short:
        lines.append(sep.join(GOOD[n] for n in NAMES[:-1]))  # a cell short
    _same(end.join(lines) + end, batch_size)


@given(
    rows(),
    st.lists(st.sampled_from(["drop", "int", "null", "extra", "broken"]), max_size=3),
    st.integers(1, 5),
)
@settings(max_examples=150, deadline=None)
def test_ndjson_as_columns_reads_like_row_by_row(items, quirks, batch_size):
    objects: list[dict] = []
    for row in items:
        item: dict = {k: v for k, v in row.items() if v != "" or k != "destination"}
        if item["quantity"].isdigit():
            item["quantity"] = int(item["quantity"])
        objects.append(item)
    lines = [json.dumps(o) for o in objects]
    for n, quirk in enumerate(quirks):
        target = objects[n % len(objects)]
        if quirk == "drop":
            target.pop("line", None)
        elif quirk == "int":
            target["quantity"] = str(target["quantity"])
        elif quirk == "null":
            target["destination"] = None
        elif quirk == "extra":
            target["cell"] = "x"
        lines[n % len(lines)] = "{not json" if quirk == "broken" else json.dumps(target)
    _same("\n".join(lines) + "\n", batch_size)


def test_a_plain_file_is_read_as_columns():
    lines = [",".join(NAMES)] + [
        ",".join({**GOOD, "record_id": f"g{n}"}[k] for k in NAMES) for n in range(5)
    ]
    parser = UsageFileParser(10)
    (batch,) = [*parser.feed("\n".join(lines) + "\n"), *parser.finish()]
    assert batch.columns and not batch.parsed
    assert batch.frame()["row"].to_list() == [2, 3, 4, 5, 6]


def test_a_batch_made_by_hand_gives_its_records_and_columns():
    parser = UsageFileParser(10, columns=False)
    (read,) = [
        *parser.feed(",".join(NAMES) + "\n" + ",".join(GOOD[k] for k in NAMES) + "\n"),
        *parser.finish(),
    ]
    batch = Batch(records=read.records, errors=[], rows=1)
    assert batch.records == read.records
    assert batch.frame()["record_id"].to_list() == ["g"]
