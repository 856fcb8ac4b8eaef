"""What the fold hands over to its own readers (adapters/handover.py): a document as written under
the token of the mark that followed, and nothing once the chain of this process's marks broke; and
the rows a write changed, to a reader that holds the very rows handed over before it."""

from motcua_reporting.adapters.handover import Handover, Written

P0 = ("db", "g1", "p0")
DAY = ("reporting_days", "p0|2025-03-06")
MONTH = ("reporting_months", "p0|2025-03")


def test_a_document_is_handed_over_under_its_marks_token_only() -> None:
    handover = Handover()
    handover.marked(P0, "t1", {DAY: Written(b"rows-1")}, continued=False)
    assert handover.rows(P0, "t1", *DAY) == (True, b"rows-1")
    assert handover.rows(P0, "t0", *DAY) == (False, None)  # a reader of an older version
    assert handover.rows(P0, "t1", *MONTH) == (False, None)  # not written by this process
    assert handover.rows(("db", "g2", "p0"), "t1", *DAY) == (False, None)  # another generation


def test_marks_that_follow_each_other_keep_every_document_written_since_the_first() -> None:
    handover = Handover()
    handover.marked(P0, "t1", {DAY: Written(b"rows-1"), MONTH: Written(b"month-1")}, continued=False)
    handover.marked(P0, "t2", {DAY: Written(b"rows-2")}, continued=True)
    assert handover.rows(P0, "t2", *DAY) == (True, b"rows-2")
    assert handover.rows(P0, "t2", *MONTH) == (True, b"month-1")
    assert handover.rows(P0, "t1", *DAY) == (False, None)


def test_another_writers_mark_between_or_an_unknown_write_drops_what_was_handed_over() -> None:
    handover = Handover()
    handover.marked(P0, "t1", {DAY: Written(b"rows-1"), MONTH: Written(b"month-1")}, continued=False)
    handover.marked(P0, "t3", {DAY: Written(b"rows-3")}, continued=False)  # t2 was another writer's
    assert handover.rows(P0, "t3", *MONTH) == (False, None)
    assert handover.rows(P0, "t3", *DAY) == (True, b"rows-3")
    handover.marked(P0, "t4", None, continued=True)  # a conflict: what the store holds is not known
    assert handover.rows(P0, "t4", *DAY) == (False, None)


def test_beyond_its_limit_the_least_recently_marked_stream_is_dropped() -> None:
    handover = Handover(limit_bytes=10)
    p1 = ("db", "g1", "p1")
    handover.marked(P0, "t1", {DAY: Written(b"123456")}, continued=False)
    handover.marked(p1, "u1", {("reporting_days", "p1|2025-03-06"): Written(b"654321")}, continued=False)
    assert handover.rows(P0, "t1", *DAY) == (False, None)
    assert handover.rows(p1, "u1", "reporting_days", "p1|2025-03-06") == (True, b"654321")


def test_the_changed_rows_go_to_a_reader_holding_the_rows_handed_over_before_them() -> None:
    handover = Handover()
    first = Written(b"rows-1", (), (("received", "2025-03", "STNMT", "P1", "direct", 1),))
    handover.marked(P0, "t1", {DAY: first}, continued=False)
    _, held = handover.rows(P0, "t1", *DAY)
    second = Written(
        b"rows-2",
        (("received", "2025-03", "STNMT", "P1", "direct", 1),),
        (("received", "2025-03", "STNMT", "P1", "direct", 2),),
    )
    handover.marked(P0, "t2", {DAY: second}, continued=True)
    _, new = handover.rows(P0, "t2", *DAY)
    assert handover.changed(P0, "t2", *DAY, held, new) == (second.removed, second.added)
    # Rows read from the store are equal, not the same object: the two versions are compared.
    assert handover.changed(P0, "t2", *DAY, b"".join([b"rows-", b"1"]), new) is None
    assert handover.changed(P0, "t1", *DAY, None, held) is None  # the first write: nothing held before
