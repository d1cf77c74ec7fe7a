"""`CompleteWindow` on its own: a fake listing function stands in for TikTok and the HTTP layer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from source_tiktok_ads.api.cut_notice import CUT_NOTICE
from source_tiktok_ads.api.envelope import Envelope
from source_tiktok_ads.api.errors import QueryTooLarge, TikTokApiError
from source_tiktok_ads.reports.healing import MetricHealing, ParameterRejected
from source_tiktok_ads.reports.id_split import ID_FILTERS, ID_LISTING, CutSplit
from source_tiktok_ads.reports.keyless_rows import RowsWithoutKey
from source_tiktok_ads.reports.window_read import EMITTED_KEYS, WINDOW_ATTEMPTS, CompleteWindow

DIMENSIONS = ("ad_id", "stat_time_day")
WINDOW = {"advertiser_id": "111", "start_date": "2026-01-01", "end_date": "2026-01-04"}


def row(ad_id: str | None, day: str = "2026-01-01") -> dict[str, Any]:
    dimensions = {"stat_time_day": f"{day} 00:00:00"}
    if ad_id is not None:
        dimensions["ad_id"] = ad_id
    return {"dimensions": dimensions, "metrics": {"spend": "1"}}


def page(rows: list[dict[str, Any]], total: int | None) -> dict[str, Any]:
    info = {} if total is None else {"total_number": total}
    return {"list": rows, "page_info": info}


def too_large() -> QueryTooLarge:
    return QueryTooLarge("report/integrated/get/", Envelope(40067, "query too large", "r1", None))


def refused(message: str) -> ParameterRejected:
    return ParameterRejected("report/integrated/get/", "111", message, f"40002: {message}")


# What the fake TikTok answers to one listing read: pages, then maybe an error.
Answer = tuple[list[dict[str, Any]], Exception | None]


class FakeListing:
    """Reads one listing unchecked: each call takes the answer `answer_for` gives for its slice."""

    def __init__(self, answer_for: Callable[[Mapping[str, Any], int], Answer]) -> None:
        self.answer_for = answer_for
        self.calls: list[tuple[dict[str, Any], tuple[Any, ...]]] = []

    def __call__(self, request_slice: Mapping[str, Any], convert: Any, *listing_args: Any) -> Iterator[Any]:
        self.calls.append(({k: v for k, v in request_slice.items() if k != EMITTED_KEYS}, listing_args))
        pages, error = self.answer_for(request_slice, len(self.calls))
        for data in pages:
            yield convert(data)
        if error is not None:
            raise error


def reader(listing: FakeListing, metrics: tuple[str, ...] = ("spend", "clicks")) -> CompleteWindow:
    healing = MetricHealing("ads_reports_daily", metrics)
    return CompleteWindow(
        "ads_reports_daily", DIMENSIONS, "list", healing, listing, logging.getLogger("test")
    )


def as_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(data["list"])


def ad_ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["dimensions"]["ad_id"] for converted in pages for item in converted]


def test_a_counted_window_passes_its_pages_and_trailing_arguments_through() -> None:
    listing = FakeListing(lambda s, n: ([page([row("1"), row("2")], 3), page([row("3")], 3)], None))
    handle = object()

    pages = list(reader(listing).read(WINDOW, as_rows, handle))

    assert ad_ids(pages) == ["1", "2", "3"]
    assert listing.calls == [({**WINDOW, "metrics": ("spend", "clicks")}, (handle,))]


def test_a_window_too_large_is_read_as_two_halves(caplog: pytest.LogCaptureFixture) -> None:
    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        if request_slice["start_date"] == "2026-01-01" and request_slice["end_date"] == "2026-01-04":
            return [], too_large()
        return [page([row(request_slice["start_date"])], 1)], None

    listing = FakeListing(answer)
    with caplog.at_level(logging.INFO, logger="test"):
        pages = list(reader(listing).read(WINDOW, as_rows, "handle"))

    assert ad_ids(pages) == ["2026-01-01", "2026-01-03"]
    windows = [(call["start_date"], call["end_date"]) for call, _ in listing.calls]
    assert windows == [
        ("2026-01-01", "2026-01-04"),
        ("2026-01-01", "2026-01-02"),
        ("2026-01-03", "2026-01-04"),
    ]
    assert all(args == ("handle",) for _, args in listing.calls)
    assert "window 2026-01-01..2026-01-04 too large for TikTok; splitting it in two." in caplog.text


def test_a_half_still_too_large_is_split_again() -> None:
    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        if request_slice["start_date"] != request_slice["end_date"]:
            return [], too_large()
        return [page([row(request_slice["start_date"])], 1)], None

    pages = list(reader(FakeListing(answer)).read(WINDOW, as_rows))

    assert ad_ids(pages) == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]


def test_no_split_once_a_page_was_handed_over() -> None:
    listing = FakeListing(lambda s, n: ([page([row("1")], 2)], too_large()))
    window_read = reader(listing)

    handed: list[Any] = []
    with pytest.raises(QueryTooLarge):
        handed.extend(window_read.read(WINDOW, as_rows))

    assert ad_ids(handed) == ["1"]
    assert len(listing.calls) == 1


def test_a_single_day_window_is_not_split() -> None:
    listing = FakeListing(lambda s, n: ([], too_large()))
    one_day = {**WINDOW, "end_date": WINDOW["start_date"]}

    with pytest.raises(QueryTooLarge):
        list(reader(listing).read(one_day, as_rows))
    assert len(listing.calls) == 1


def test_a_lifetime_query_is_not_split() -> None:
    listing = FakeListing(lambda s, n: ([], too_large()))

    with pytest.raises(QueryTooLarge):
        list(reader(listing).read({"advertiser_id": "111"}, as_rows))
    assert len(listing.calls) == 1


def test_a_count_mismatch_rereads_and_emits_only_rows_not_emitted_yet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        if call == 1:  # a row was added while paging: row 3 shifted out of sight
            return [page([row("1"), row("2")], 4)], None
        return [page([row("1"), row("2"), row("3"), row("4")], 4)], None

    listing = FakeListing(answer)
    with caplog.at_level(logging.WARNING, logger="test"):
        pages = list(reader(listing).read(WINDOW, as_rows))

    assert ad_ids(pages) == ["1", "2", "3", "4"]
    assert len(listing.calls) == 2
    assert (
        "ads_reports_daily: advertiser 111 window 2026-01-01..2026-01-04: TikTok counted [4] rows, 2 arrived "
        f"(attempt 1 of {WINDOW_ATTEMPTS}); reading it again."
    ) in caplog.text


def test_a_second_mismatch_fails_with_a_transient_error() -> None:
    listing = FakeListing(lambda s, n: ([page([row("1")], 2)], None))

    handed: list[Any] = []
    with pytest.raises(TikTokApiError) as failure:
        handed.extend(reader(listing).read(WINDOW, as_rows))

    assert len(listing.calls) == WINDOW_ATTEMPTS
    assert ad_ids(handed) == ["1"]  # the re-read emitted nothing twice
    assert failure.value.failure_type == FailureType.transient_error
    assert failure.value.message == (
        f"ads_reports_daily: rows of advertiser 111 kept changing while they were read ({WINDOW_ATTEMPTS} "
        "attempts); the window is left for the next sync to read again."
    )


def test_totals_that_disagree_between_pages_are_a_mismatch() -> None:
    listing = FakeListing(lambda s, n: ([page([row("1")], 2), page([row("2")], 3)], None))

    with pytest.raises(TikTokApiError):
        list(reader(listing).read(WINDOW, as_rows))
    assert len(listing.calls) == WINDOW_ATTEMPTS


def test_repeats_on_later_pages_and_in_slices_sharing_emitted_keys_are_dropped() -> None:
    emitted: set[tuple[Any, ...]] = {("0", "2026-01-01 00:00:00")}
    listing = FakeListing(lambda s, n: ([page([row("0"), row("1")], 4), page([row("1"), row("2")], 4)], None))

    pages = list(reader(listing).read({**WINDOW, EMITTED_KEYS: emitted}, as_rows))

    assert ad_ids(pages) == ["1", "2"]
    assert ("2", "2026-01-01 00:00:00") in emitted


def test_keyless_rows_are_left_out_and_fail_the_window_after_its_other_rows() -> None:
    rows = [row("1"), row(None), {"dimensions": None, "metrics": {}}, row("2")]
    listing = FakeListing(lambda s, n: ([page(rows, 4)], None))

    handed: list[Any] = []
    with pytest.raises(RowsWithoutKey) as failure:
        handed.extend(reader(listing).read(WINDOW, as_rows))

    assert ad_ids(handed) == ["1", "2"]
    assert failure.value.message.startswith(
        "ads_reports_daily: TikTok returned 2 row(s) without ad_id, stat_time_day (part of the primary key) "
        "for advertiser 111, window 2026-01-01..2026-01-04."
    )


def test_a_page_converted_twice_is_not_mistaken_for_rows_already_emitted() -> None:
    """The body of a page broke half-way: the page is converted again and its rows still arrive."""

    def read_twice(request_slice: Mapping[str, Any], convert: Any, helpers: Any) -> Iterator[Any]:
        data = page([row("1"), row("2")], 2)
        with pytest.raises(RuntimeError):
            convert({"list": iter(_then_break(data["list"])), "page_info": data["page_info"]})
        yield convert(data)

    window_read = CompleteWindow(
        "ads_reports_daily",
        DIMENSIONS,
        "list",
        MetricHealing("s", ("spend",)),
        read_twice,
        logging.getLogger(),
    )
    assert ad_ids(list(window_read.read(WINDOW, as_rows))) == ["1", "2"]


def _then_break(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield rows[0]
    raise RuntimeError("body cut short")


def test_a_metric_refused_before_the_first_page_is_dropped_and_the_window_asked_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        if "clicks" in request_slice["metrics"]:
            return [], refused("metrics: clicks is not supported when data_level is AUCTION_AD.")
        return [page([row("1")], 1)], None

    listing = FakeListing(answer)
    window_read = reader(listing)
    with caplog.at_level(logging.WARNING, logger="test"):
        pages = list(window_read.read(WINDOW, as_rows))
        # The stream announces what was dropped once it is read (see `ReportStream.read`).
        window_read.healing.announce(window_read.logger)

    assert ad_ids(pages) == ["1"]
    assert [call["metrics"] for call, _ in listing.calls] == [("spend", "clicks"), ("spend",)]
    assert window_read.healing.dropped == {
        "111": {"clicks": "metrics: clicks is not supported when data_level is AUCTION_AD."}
    }
    assert "ads_reports_daily: TikTok refused metric(s) clicks" in caplog.text


def test_a_refusal_after_a_page_was_handed_over_fails_as_the_users_to_fix() -> None:
    listing = FakeListing(lambda s, n: ([page([row("1")], 2)], refused("Invalid metric fields: ['clicks']")))
    window_read = reader(listing)

    with pytest.raises(TikTokApiError) as failure:
        list(window_read.read(WINDOW, as_rows))

    assert failure.value.failure_type == FailureType.config_error
    assert failure.value.message == (
        "TikTok rejected a parameter of report/integrated/get/ for advertiser 111: Invalid metric fields: ['clicks']"
    )
    assert window_read.healing.dropped == {}
    assert len(listing.calls) == 1


def test_a_refusal_naming_no_metric_asked_for_fails() -> None:
    listing = FakeListing(lambda s, n: ([], refused("advertiser_id: Missing data for required field.")))

    with pytest.raises(TikTokApiError) as failure:
        list(reader(listing).read(WINDOW, as_rows))
    assert failure.value.failure_type == FailureType.config_error
    assert len(listing.calls) == 1


def test_a_report_without_a_time_dimension_too_large_is_read_in_parts_by_id_not_by_date(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Rows summed over the window: halves by date would share keys, and the second half be dropped.
    campaigns = {"c1": ["1", "2"], "c2": ["3"]}

    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        if request_slice.get(ID_LISTING) == "campaign":
            return [{"list": [{"dimensions": {"campaign_id": c}} for c in campaigns], "page_info": {}}], None
        wanted = (request_slice.get(ID_FILTERS) or {}).get("campaign_ids")
        if wanted is None or len(wanted) > 1:
            return [], too_large()
        ads = [{"dimensions": {"ad_id": ad}, "metrics": {"spend": "2"}} for ad in campaigns[wanted[0]]]
        return [page(ads, len(ads))], None

    listing = FakeListing(answer)
    healing = MetricHealing("ads_reports_lifetime", ("spend",))
    logger = logging.getLogger("test")
    window_read = CompleteWindow(
        "ads_reports_lifetime",
        ("ad_id",),
        "list",
        healing,
        listing,
        logger,
        CutSplit("ads_reports_lifetime", "AUCTION_AD", by_time=False, logger=logger),
    )
    summed = {**WINDOW, "start_date": "2026-01-01", "end_date": "2026-03-31"}
    with caplog.at_level(logging.DEBUG, logger="test"):
        pages = list(window_read.read(summed, as_rows))

    assert sorted(ad_ids(pages)) == ["1", "2", "3"]
    # Never asked for a shorter date range.
    assert {(call["start_date"], call["end_date"]) for call, _ in listing.calls} == {
        ("2026-01-01", "2026-03-31")
    }
    assert "the report was too large for TikTok" in caplog.text
    lifetime = list(window_read.read({"advertiser_id": "111"}, as_rows))
    assert sorted(ad_ids(lifetime)) == ["1", "2", "3"]


def test_an_advertiser_level_report_without_a_time_dimension_is_not_split_by_id() -> None:
    listing = FakeListing(lambda s, n: ([], too_large()))
    logger = logging.getLogger("test")
    window_read = CompleteWindow(
        "advertisers_reports_lifetime",
        ("advertiser_id",),
        "list",
        MetricHealing("advertisers_reports_lifetime", ("spend",)),
        listing,
        logger,
        CutSplit("advertisers_reports_lifetime", "AUCTION_ADVERTISER", by_time=False, logger=logger),
    )

    with pytest.raises(QueryTooLarge):
        list(window_read.read({"advertiser_id": "111"}, as_rows))
    assert len(listing.calls) == 1


def test_a_window_asked_for_in_learned_groups_may_have_no_rows_at_all() -> None:
    # Day 1 is cut and split by campaign; day 2, asked for directly in those groups, delivered nothing.
    def answer(request_slice: Mapping[str, Any], call: int) -> Answer:
        day = request_slice["start_date"]
        if request_slice.get(ID_LISTING) == "campaign":
            listed = [{"dimensions": {"campaign_id": c}} for c in ("c1", "c2")] if day == "2026-01-01" else []
            return [{"list": listed, "page_info": {}}], None
        wanted = (request_slice.get(ID_FILTERS) or {}).get("campaign_ids")
        if wanted is None:
            return [page([row("1", day), row("2", day)], 2), {CUT_NOTICE: "top 1", "list": []}], None
        return [page([row(wanted[0][1:], day)], 1)], None

    listing = FakeListing(answer)
    logger = logging.getLogger("test")
    window_read = CompleteWindow(
        "ads_reports_daily",
        DIMENSIONS,
        "list",
        MetricHealing("ads_reports_daily", ("spend",)),
        listing,
        logger,
        CutSplit("ads_reports_daily", "AUCTION_AD", by_time=True, logger=logger),
    )
    first = list(window_read.read({**WINDOW, "end_date": "2026-01-01"}, as_rows))
    second = list(window_read.read({**WINDOW, "start_date": "2026-01-02", "end_date": "2026-01-02"}, as_rows))

    assert sorted(ad_ids(first)) == ["1", "2"]
    assert ad_ids(second) == []
    # Day 2: one listing, no request for the whole day.
    day_two = [call for call, _ in listing.calls if call["start_date"] == "2026-01-02"]
    assert [call.get(ID_LISTING) for call in day_two] == ["campaign"]
