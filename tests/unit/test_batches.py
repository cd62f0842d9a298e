"""Pages gathered into batches before they become Arrow tables: every row kept once, in order, none lost at the
end of a walk, and no empty batch handed to dlt (a page the walk's dedup emptied adds nothing)."""

from __future__ import annotations

from sources.cafe24.tables import batches


def pages(*sizes: int) -> list[list[dict[str, int]]]:
    n = 0
    out = []
    for size in sizes:
        out.append([{"no": n + i} for i in range(size)])
        n += size
    return out


def test_pages_are_gathered_until_a_batch_holds_at_least_the_size() -> None:
    gathered = list(batches(pages(3, 3, 3, 3, 1), 5))
    assert [len(b) for b in gathered] == [6, 6, 1]  # the last batch holds what is left
    assert [row["no"] for b in gathered for row in b] == list(range(13))


def test_empty_pages_add_nothing_and_no_empty_batch_is_made() -> None:
    odd_only = [[row for row in page if row["no"] % 2] for page in pages(0, 2, 0)]
    assert list(batches(odd_only, 5)) == [[{"no": 1}]]
    assert list(batches(pages(0, 0), 5)) == []


def test_a_size_of_one_keeps_each_page_whole() -> None:
    assert [len(b) for b in batches(pages(4, 0, 2), 1)] == [4, 2]
