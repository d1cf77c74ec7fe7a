"""Serves responses other public projects recorded from TikTok (`../shared/real_shapes/fixtures/`) to
the connector, as TikTok would: entity listings per advertiser, report rows per (type, level,
dimensions) and date window, `page_info` added where the recording has none.

The recordings are reference data read at run time, never copied into the repository. `served` counts
the report rows handed out per stream key, so a test can check every row came out exactly once.
"""

from __future__ import annotations

import csv
import json
import threading
from collections import Counter, defaultdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "real_shapes" / "fixtures"
API_PREFIX = "/open_api/v1.3/"
UNIT_ADVERTISER = "872746382648"
EXTRACTOR_ADVERTISER = "7000000000000000001"
KEBOOLA_ADVERTISER = "7000000000000000002"
ENTITY_PATHS = {"campaign/get/": "campaigns", "adgroup/get/": "ad_groups", "ad/get/": "ads"}
LEVEL_ID = {
    "AUCTION_ADVERTISER": "advertiser_id",
    "AUCTION_CAMPAIGN": "campaign_id",
    "AUCTION_ADGROUP": "adgroup_id",
    "AUCTION_AD": "ad_id",
}
# (report_type, data_level, dimensions) of each unit fixture, as SOURCES.md lists them.
UNIT_REPORTS = {
    "ads_reports_hourly.json": ("BASIC", "AUCTION_AD", ("ad_id", "stat_time_hour")),
    "ad_groups_reports_hourly.json": ("BASIC", "AUCTION_ADGROUP", ("adgroup_id", "stat_time_hour")),
    "campaigns_reports_hourly.json": ("BASIC", "AUCTION_CAMPAIGN", ("campaign_id", "stat_time_hour")),
    "advertisers_reports_hourly.json": ("BASIC", "AUCTION_ADVERTISER", ("advertiser_id", "stat_time_hour")),
    "advertisers_audience_reports_lifetime.json": (
        "AUDIENCE",
        "AUCTION_ADVERTISER",
        ("advertiser_id", "gender", "age"),
    ),
}
ReportKey = tuple[str, str, str, frozenset[str]]  # advertiser, report type, level, dimensions
# TikTok's advertiser/info/ names every account's time zone. The recordings were trimmed for other
# projects' tests or hold no account details at all, so what they leave out is answered as for an
# account kept in UTC.
UNRECORDED_INFO = {"timezone": "Etc/UTC"}


def available() -> bool:
    return (FIXTURES / "SOURCES.md").is_file()


def _json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _text_id(value: Any) -> str:
    return str(value)


class Recordings:
    """Every recorded answer, indexed the way the replay serves it."""

    def __init__(self) -> None:
        self.advertisers: dict[str, dict[str, Any]] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.entities: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.reports: dict[ReportKey, list[dict[str, Any]]] = defaultdict(list)
        self.libraries: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._unit()
        self._recorded()
        self._other()

    def _unit(self) -> None:
        for item in _json("airbyte_unit/advertisers.json")["data"]["list"]:
            advertiser_id = _text_id(item["advertiser_id"])
            self.advertisers[advertiser_id] = {
                "advertiser_id": item["advertiser_id"],
                "advertiser_name": item["name"],
            }
            self.info[advertiser_id] = item
        for name, (report_type, level, dimensions) in UNIT_REPORTS.items():
            rows = _json(f"airbyte_unit/{name}")["data"]["list"]
            id_dimension = LEVEL_ID[level]
            # Row 0 of the advertiser report has no advertiser_id dimension, which TikTok would not send.
            rows = [row for row in rows if id_dimension in row["dimensions"]]
            self.reports[(UNIT_ADVERTISER, report_type, level, frozenset(dimensions))] += rows
        self.libraries[(UNIT_ADVERTISER, "file/music/get/")] = _json(
            "airbyte_unit/creative_assets_music.json"
        )["data"]["musics"]
        self.libraries[(UNIT_ADVERTISER, "creative/portfolio/list/")] = _json(
            "airbyte_unit/creative_assets_portfolios.json"
        )["data"]["creative_portfolios"]

    def _recorded(self) -> None:
        lines = [
            json.loads(line)
            for line in (FIXTURES / "airbyte_expected_records_subset.jsonl").read_text().splitlines()
            if line.strip()
        ]
        owner: dict[str, str] = {}
        for line in lines:
            stream, data = line["stream"], line["data"]
            if stream == "advertiser_ids":
                self.advertisers[_text_id(data["advertiser_id"])] = data
            elif stream == "advertisers":
                self.info[_text_id(data["advertiser_id"])] = data
            elif stream in ENTITY_PATHS.values():
                advertiser_id = _text_id(data["advertiser_id"])
                self.entities[(advertiser_id, stream)].append(data)
                for field in ("campaign_id", "adgroup_id", "ad_id"):
                    if field in data:
                        owner.setdefault(_text_id(data[field]), advertiser_id)
        definitions = {definition.name: definition for definition in BUILTIN_REPORTS}
        for line in lines:
            definition = definitions.get(line["stream"])
            if definition is None:
                continue
            row = {"dimensions": line["data"]["dimensions"], "metrics": line["data"]["metrics"]}
            entity = _text_id(row["dimensions"][definition.id_dimension])
            advertiser_id = entity if definition.id_dimension == "advertiser_id" else owner.get(entity)
            if advertiser_id is None:
                continue  # its object is not in the recorded subset: the replay cannot place it
            dimensions = set(definition.dimensions)
            key = (
                advertiser_id,
                definition.report_type.value,
                definition.data_level.value,
                frozenset(dimensions),
            )
            self.reports[key].append(row)

    def _other(self) -> None:
        for advertiser_id in (EXTRACTOR_ADVERTISER, KEBOOLA_ADVERTISER):
            self.advertisers[advertiser_id] = {
                "advertiser_id": advertiser_id,
                "advertiser_name": "placeholder",
            }
        extractor = _json("other/extractor_readme_report_v12.json")["data"]["list"]
        self.reports[
            (EXTRACTOR_ADVERTISER, "BASIC", "AUCTION_AD", frozenset({"ad_id", "stat_time_day"}))
        ] += extractor
        manifest = _json("other/keboola_basicreport.csv.manifest")
        with (FIXTURES / "other/keboola_basicreport.csv").open(newline="") as handle:
            for values in csv.reader(handle):
                cells = dict(zip(manifest["columns"], values, strict=True))
                cells.pop("ex_advertiser_id")
                dimensions = {name: cells.pop(name) for name in ("campaign_id", "stat_time_day")}
                self.reports[
                    (
                        KEBOOLA_ADVERTISER,
                        "BASIC",
                        "AUCTION_CAMPAIGN",
                        frozenset({"campaign_id", "stat_time_day"}),
                    )
                ].append({"dimensions": dimensions, "metrics": cells})


def _in_window(row: dict[str, Any], params: dict[str, str]) -> bool:
    day = next(
        (
            row["dimensions"][name]
            for name in ("stat_time_day", "stat_time_hour")
            if name in row["dimensions"]
        ),
        None,
    )
    if day is None or "start_date" not in params:
        return True
    return params["start_date"] <= str(day)[:10] <= params["end_date"]


def _page(items: list[Any], key: str = "list") -> dict[str, Any]:
    return {
        key: items,
        "page_info": {"page": 1, "page_size": 1000, "total_number": len(items), "total_page": 1},
    }


class ReplayServer:
    """The recordings behind an HTTP server on 127.0.0.1 (use as a context manager)."""

    def __init__(self) -> None:
        self.recordings = Recordings()
        self.served: Counter[ReportKey] = Counter()
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if int(params.get("page_size", "1")) > 1000:
            return self._refuse(f"page_size: {params['page_size']} is more than 1000.")
        recordings = self.recordings
        if path == "oauth2/advertiser/get/":
            return {"list": list(recordings.advertisers.values())}
        if path == "advertiser/info/":
            ids = json.loads(params["advertiser_ids"])
            known = recordings.info.keys() | recordings.advertisers.keys()
            return {
                "list": [
                    {**UNRECORDED_INFO, "advertiser_id": i, **recordings.info.get(i, {})}
                    for i in ids
                    if i in known
                ]
            }
        advertiser_id = params.get("advertiser_id", "")
        if path in ENTITY_PATHS:
            buying_types = json.loads(params.get("filtering") or "{}").get("buying_types") or []
            items = (
                []
                if "RESERVATION_TOP_VIEW" in buying_types
                else recordings.entities[(advertiser_id, ENTITY_PATHS[path])]
            )
            return _page(items)
        if path == "report/integrated/get/":
            return self._report(advertiser_id, params)
        key = {
            "file/music/get/": "musics",
            "creative/portfolio/list/": "creative_portfolios",
            "pixel/list/": "pixels",
        }
        return _page(recordings.libraries.get((advertiser_id, path), []), key.get(path, "list"))

    def _report(self, advertiser_id: str, params: dict[str, str]) -> dict[str, Any]:
        if "start_date" in params:
            span = (
                date.fromisoformat(params["end_date"]) - date.fromisoformat(params["start_date"])
            ).days + 1
            dimensions = json.loads(params["dimensions"])
            limit = 1 if "stat_time_hour" in dimensions else 30 if "stat_time_day" in dimensions else 365
            if span > limit:
                return self._refuse(f"start_date, end_date: the range can be at most {limit} days here.")
        key = (
            advertiser_id,
            params["report_type"],
            params["data_level"],
            frozenset(json.loads(params["dimensions"])),
        )
        if json.loads(params.get("filtering") or "[]") and any(
            entry.get("field_name") == "buying_type" for entry in json.loads(params["filtering"])
        ):
            return _page([])
        rows = [row for row in self.recordings.reports.get(key, []) if _in_window(row, params)]
        with self._lock:
            self.served[key] += len(rows)
        return _page(rows)

    def _refuse(self, message: str) -> dict[str, Any]:
        with self._lock:
            self.refused.append(message)
        raise ValueError(message)


def _handler(replay: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(parts.query).items()}
            path = parts.path.removeprefix(API_PREFIX)
            try:
                envelope = {
                    "code": 0,
                    "message": "OK",
                    "request_id": "replay",
                    "data": replay.answer(path, params),
                }
            except ValueError as refusal:
                envelope = {"code": 40002, "message": str(refusal), "request_id": "replay", "data": {}}
            body = json.dumps(envelope).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
