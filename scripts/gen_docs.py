"""Regenerate the parts of the docs that restate the code: config reference, stream tables, schema ERD.

Each generated part sits between `<!-- BEGIN GENERATED: <block> -->` and `<!-- END GENERATED: <block> -->`
in the document `DOCUMENTS` names for it (README.md or a file of docs/); everything outside the markers is
hand-written and left alone. The blocks are built from the same objects Airbyte sees (the spec, the
discovered streams and their JSON schemas), so the docs cannot drift from what the connector does without
`--check` (run by `unit_tests/test_docs.py`) noticing.

    .venv/bin/python scripts/gen_docs.py           # rewrite the blocks in place
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 and print a diff when a document is stale

Nothing here touches the network: with `advertiser_ids` in the config, building the streams makes no request.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import logging
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from source_tiktok_ads import SourceTiktokAds  # noqa: E402
from source_tiktok_ads.config import connection_specification  # noqa: E402
from source_tiktok_ads.reports.gmv_max import GmvMaxReportStream  # noqa: E402
from source_tiktok_ads.reports.own_endpoint import EndpointReportStream  # noqa: E402
from source_tiktok_ads.reports.stream import ReportStream  # noqa: E402

# Placeholder credentials: discover needs a parsable config, never a real one. A configured advertiser
# means the advertiser list is not looked up, so no request leaves the process.
PRODUCTION_CONFIG = {
    "credentials": {
        "auth_type": "oauth2.0",
        "app_id": "1",
        "secret": "docs-secret",
        "access_token": "docs-token",
    },
    "advertiser_ids": ["1"],
}
SANDBOX_CONFIG = {
    "credentials": {"auth_type": "sandbox_access_token", "advertiser_id": "1", "access_token": "docs-token"},
}

LEVEL_LABEL = {
    "AUCTION_ADVERTISER": "advertiser",
    "AUCTION_CAMPAIGN": "campaign",
    "AUCTION_ADGROUP": "ad group",
    "AUCTION_AD": "ad",
}
# An en dash marks an empty cell, as in the README's hand-written tables (escaped: ruff flags the raw one).
EMPTY = "\u2013"
RANGE = "\u2013"
GRANULARITY_LABEL = {"DAY": "daily", "HOUR": "hourly", "LIFETIME": "lifetime"}

# The keys that tie streams together in the diagram, each owned by the stream whose primary key it is.
# Other *_id fields (video_id on ads, material_id on assets, ...) are real links too, but drawing them
# would bury the advertiser → campaign → ad group → ad spine this diagram exists to show.
RELATION_KEYS = ("advertiser_id", "campaign_id", "adgroup_id", "ad_id", "pixel_id")
# Streams that hang off others by keys outside that spine: (parent, child, key). Upgraded Smart+
# creatives (`ads`) belong to an asset group; GMV Max campaigns to a store, not to `campaigns`.
EXTRA_LINKS = (
    ("smart_plus_ads", "ads", "smart_plus_ad_id"),
    ("advertisers", "gmv_max_stores", "advertiser_id"),
    ("gmv_max_stores", "gmv_max_campaigns", "store_id"),
)
OWN_PARENTS_ONLY = {"gmv_max_stores", "gmv_max_campaigns"}


# --- helpers -------------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Markdown table cells cannot hold raw pipes or newlines."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _code(values: Iterable[str], joiner: str = ", ") -> str:
    items = [f"`{value}`" for value in values]
    return joiner.join(items) if items else EMPTY


@functools.cache
def _discover_cached(kind: str) -> tuple[Any, ...]:
    # Building the streams logs (e.g. the sandbox's missing streams) to stdout; only warnings matter here.
    # The level is put back afterwards: the tests import this module, and other tests read those logs.
    logger = logging.getLogger("airbyte")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        return tuple(SourceTiktokAds().streams(PRODUCTION_CONFIG if kind == "production" else SANDBOX_CONFIG))
    finally:
        logger.setLevel(previous)


def _discover(config: dict[str, Any]) -> tuple[Any, ...]:
    return _discover_cached("production" if config is PRODUCTION_CONFIG else "sandbox")


# --- config reference ----------------------------------------------------------------------------


def _type_of(node: dict[str, Any]) -> str:
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return " | ".join(f"`{value}`" for value in node["enum"])
    kind = node.get("type", "object")
    if kind == "array":
        items = node.get("items", {})
        inner = "objects" if items.get("type") == "object" else f"{items.get('type', 'value')}s"
        return f"list of {inner}"
    if node.get("format") == "date":
        return "date `YYYY-MM-DD`"
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum")
    if kind in ("integer", "number") and low is not None and high is not None:
        if "exclusiveMinimum" in node:
            return f"{kind} >{low}, ≤{high}"
        return f"{kind} {low}{RANGE}{high}"
    return kind


def _default_of(node: dict[str, Any]) -> str:
    if "default" in node:
        value = node["default"]
        return f"`{str(value).lower() if isinstance(value, bool) else value}`"
    return EMPTY


def _describe(node: dict[str, Any]) -> str:
    if "const" in node:
        return "Selects this authentication method; inferred from the other keys when left out."
    # Enum fields carry their class name as title ("ReportType"); spelt out it still says what the key is.
    title = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", node.get("title", "")).capitalize()
    text = node.get("description") or title
    if node.get("airbyte_hidden"):
        text += " Hidden in the Airbyte UI."
    return text


def _config_rows(
    properties: dict[str, Any], required: Iterable[str], prefix: str, condition: str = ""
) -> list[list[str]]:
    rows: list[list[str]] = []
    required = set(required)
    ordered = sorted(properties.items(), key=lambda item: item[1].get("order", 1000))
    for name, node in ordered:
        key = f"{prefix}{name}"
        if node.get("deprecated"):  # keys of older connectors, accepted and ignored: not options to set
            continue
        if "oneOf" in node:
            # One row group per alternative (auth type), named by its discriminator value.
            for option in node["oneOf"]:
                tag = option["properties"]["auth_type"]["const"]
                rows += _config_rows(option["properties"], option.get("required", []), f"{key}.", tag)
            continue
        is_required = "yes" if name in required else "no"
        if condition and name in required:
            is_required = f"yes ({condition})"
        elif condition:
            is_required = f"no ({condition})"
        rows.append(
            [
                f"`{key}`",
                _type_of(node),
                _default_of(node),
                is_required,
                "yes" if node.get("airbyte_secret") else "",
                _describe(node),
            ]
        )
        items = node.get("items", {})
        if items.get("type") == "object":
            rows += _config_rows(items["properties"], items.get("required", []), f"{key}[].")
    return rows


def config_block() -> str:
    spec = connection_specification()
    rows = _config_rows(spec["properties"], spec.get("required", []), "")
    return _table(["key", "type", "default", "required", "secret", "description"], rows)


# --- stream tables -------------------------------------------------------------------------------


def _key(stream: Any) -> list[str]:
    return [".".join(path) for path in stream.as_airbyte_stream().source_defined_primary_key or []]


def _cursor(stream: Any) -> str:
    cursor = stream.as_airbyte_stream().default_cursor_field
    return _code(cursor or [])


def _modes(stream: Any) -> str:
    modes = [mode.value.replace("_", " ") for mode in stream.as_airbyte_stream().supported_sync_modes]
    return ", ".join(modes)


def _sandbox_names() -> set[str]:
    return {stream.name for stream in _discover(SANDBOX_CONFIG)}


def entity_streams_block() -> str:
    sandbox = _sandbox_names()
    rows = []
    for stream in _discover(PRODUCTION_CONFIG):
        if isinstance(stream, ReportStream):
            continue
        page = getattr(stream, "page_size", 0)
        rows.append(
            [
                f"`{stream.name}`",
                f"`{stream.path()}`",
                _code(_key(stream)),
                _cursor(stream),
                _modes(stream),
                str(page) if page else "unpaged",
                "yes" if stream.name in sandbox else "no",
            ]
        )
    header = ["stream", "endpoint", "primary key", "cursor", "sync modes", "page size", "sandbox"]
    return _table(header, rows)


def report_streams_block() -> str:
    sandbox = _sandbox_names()
    rows = []
    for stream in _discover(PRODUCTION_CONFIG):
        if not isinstance(stream, ReportStream):
            continue
        definition = stream.definition
        own = isinstance(stream, EndpointReportStream)
        rows.append(
            [
                f"`{stream.name}`",
                definition.report_label if own else definition.report_type.value,
                definition.level_label if own else LEVEL_LABEL[definition.data_level.value],
                GRANULARITY_LABEL[definition.granularity.value],
                EMPTY if own else _code(definition.breakdowns, " + "),
                _code(_key(stream)),
                _cursor(stream),
                _modes(stream),
                str(len(definition.metrics)),
                f"`{stream.path()}`",
                "yes" if stream.name in sandbox else "no",
            ]
        )
    header = [
        "stream",
        "type",
        "level",
        "granularity",
        "breakdown",
        "primary key",
        "cursor",
        "sync modes",
        "metrics",
        "endpoint",
        "sandbox",
    ]
    return _table(header, rows)


# --- schema ERD ----------------------------------------------------------------------------------


def _json_type(node: dict[str, Any]) -> str:
    kinds = node.get("type", "string")
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"), "string")
    if kind == "string" and node.get("format") in ("date-time", "date"):
        return "timestamp" if node["format"] == "date-time" else "date"
    return kind


def _attribute(kind: str, name: str, keys: Iterable[str] = (), comment: str = "") -> str:
    line = f"        {kind} {name}"
    keys = list(keys)
    if keys:
        line += " " + ", ".join(keys)
    if comment:
        line += f' "{comment}"'
    return line


def _entity_attributes(stream: Any, owners: dict[str, str]) -> list[str]:
    properties = stream.get_json_schema().get("properties", {})
    primary = _key(stream)
    cursor = stream.as_airbyte_stream().default_cursor_field or []
    names = [*primary]
    names += [key for key in RELATION_KEYS if key in properties and key not in names]
    names += [key for _, child, key in EXTRA_LINKS if child == stream.name and key not in names]
    names += [name for name in cursor if name not in names]
    lines = []
    for name in names:
        keys = []
        if name in primary:
            keys.append("PK")
        linked = any(child == stream.name and key == name for _, child, key in EXTRA_LINKS)
        spine = name == "advertiser_id" or stream.name not in OWN_PARENTS_ONLY
        if (name in owners and owners[name] != stream.name and spine) or linked:
            keys.append("FK")
        comment = "cursor" if name in cursor else ""
        lines.append(_attribute(_json_type(properties.get(name, {})), name, keys, comment))
    return lines


def _report_entity(level: str, streams: list[Any]) -> list[str]:
    """One box per data level: its report streams share the ID key and differ in time and breakdown."""
    first = streams[0].definition
    types: dict[str, str] = {}
    for stream in streams:
        for name, node in stream.get_json_schema().get("properties", {}).items():
            types.setdefault(name, _json_type(node))
    lines = [_attribute(types[first.id_dimension], first.id_dimension, ["PK", "FK"])]
    for granularity, time in (("DAY", "stat_time_day"), ("HOUR", "stat_time_hour")):
        if any(s.definition.time_dimension == time for s in streams):
            comment = f"cursor of the {GRANULARITY_LABEL[granularity]} streams"
            lines.append(_attribute(types[time], time, ["PK"], comment))
    breakdowns = list(dict.fromkeys(name for s in streams for name in s.definition.breakdowns))
    for name in breakdowns:
        users = sum(1 for s in streams if name in s.definition.breakdowns)
        lines.append(_attribute(types[name], name, ["PK"], f"breakdown, in {users} of the {len(streams)}"))
    if first.id_dimension != "advertiser_id":
        lines.append(_attribute(types["advertiser_id"], "advertiser_id", ["FK"]))
    lines.append(_attribute(types["metrics"], "metrics"))
    return lines


def _gmv_max_report_entity(streams: list[Any]) -> list[str]:
    """GMV Max report rows: keyed by advertiser, store, the level's ids and the day."""
    lines = [
        _attribute("string", "advertiser_id", ["PK", "FK"]),
        _attribute("string", "store_id", ["PK", "FK"]),
    ]
    ids = list(dict.fromkeys(n for s in streams for n in s.definition.id_dimensions if n != "advertiser_id"))
    lines += [_attribute("string", name, ["PK", "FK"], "campaign-level streams") for name in ids]
    lines.append(_attribute("timestamp", "stat_time_day", ["PK"], "cursor"))
    lines.append(_attribute("object", "metrics"))
    return lines


def erd_block() -> str:
    streams = _discover(PRODUCTION_CONFIG)
    entities = [stream for stream in streams if not isinstance(stream, ReportStream)]
    reports = [
        stream
        for stream in streams
        if isinstance(stream, ReportStream) and not isinstance(stream, EndpointReportStream)
    ]
    gmv_max_reports = [stream for stream in streams if isinstance(stream, GmvMaxReportStream)]
    material_reports = [
        stream
        for stream in streams
        if isinstance(stream, EndpointReportStream) and not isinstance(stream, GmvMaxReportStream)
    ]
    # The owner of a key is the first stream whose whole primary key it is (advertisers, not advertiser_ids).
    owners: dict[str, str] = {}
    for stream in entities:
        key = _key(stream)
        if len(key) == 1 and key[0] in RELATION_KEYS:
            owners.setdefault(key[0], stream.name)

    def fields(stream: Any) -> set[str]:
        return set(stream.get_json_schema().get("properties", {}))

    by_name = {stream.name: stream for stream in entities}
    relations = [
        f'    {parent} ||--o{{ {child} : "{key}"'
        for parent, child, key in EXTRA_LINKS
        if parent in by_name and child in by_name
    ]
    for stream in entities:
        if stream.name in OWN_PARENTS_ONLY:
            continue
        own = fields(stream)
        parents = [
            owners[key] for key in RELATION_KEYS if key in own and owners.get(key) not in (None, stream.name)
        ]
        # Keep the nearest parent only: ads carry advertiser_id and campaign_id too, but hang off ad_groups.
        nearest = [
            p
            for p in parents
            if not any(_key(by_name[p])[0] in fields(by_name[q]) for q in parents if q != p)
        ]
        for parent in nearest:
            key = _key(by_name[parent])[0]
            same_key = _key(stream) == [key]
            relations.append(f'    {parent} {"||--||" if same_key else "||--o{"} {stream.name} : "{key}"')

    levels: dict[str, list[Any]] = {}
    ad_grain = [stream for stream in reports if stream.definition.id_dimension == "ad_id_v2"]
    for stream in reports:
        if stream not in ad_grain:
            levels.setdefault(stream.definition.data_level.value, []).append(stream)
    level_owner = {"AUCTION_ADVERTISER": "advertiser_id", "AUCTION_CAMPAIGN": "campaign_id"}
    level_owner |= {"AUCTION_ADGROUP": "adgroup_id", "AUCTION_AD": "ad_id"}
    report_boxes = []
    for level, members in levels.items():
        entity = f"{LEVEL_LABEL[level].replace(' ', '_')}_reports"
        key = level_owner[level]
        relations.append(f'    {owners[key]} ||--o{{ {entity} : "{key}"')
        label = f"{LEVEL_LABEL[level]} reports ({len(members)} streams)"
        report_boxes.append([f'    {entity}["{label}"] {{', *_report_entity(level, members), "    }"])

    if ad_grain:
        # The ads Ads Manager shows: Upgraded Smart+ asset groups (smart_plus_ads), Manual ads otherwise.
        relations.append('    smart_plus_ads ||--o{ ad_v2_reports : "ad_id_v2 = smart_plus_ad_id"')
        relations.append('    ads ||--o{ ad_v2_reports : "ad_id_v2 = ad_id (Manual)"')
        label = f"ad-grain reports ({len(ad_grain)} streams)"
        report_boxes.append(
            [f'    ad_v2_reports["{label}"] {{', *_report_entity("AUCTION_AD", ad_grain), "    }"]
        )

    if material_reports:
        relations.append('    smart_plus_ads ||--o{ material_reports : "smart_plus_ad_id"')
        label = f"Upgraded Smart+ material reports ({len(material_reports)} streams)"
        lines = [
            _attribute("string", "advertiser_id", ["PK", "FK"]),
            _attribute("string", "smart_plus_ad_id", ["PK", "FK"]),
            _attribute("string", "main_material_id", ["PK"], "video, image, post, catalog or carousel id"),
            _attribute("timestamp", "stat_time_day", ["PK"], "cursor"),
            _attribute("object", "metrics"),
        ]
        report_boxes.append([f'    material_reports["{label}"] {{', *lines, "    }"])

    if gmv_max_reports:
        relations.append('    gmv_max_campaigns ||--o{ gmv_max_reports : "campaign_id"')
        relations.append('    gmv_max_stores ||--o{ gmv_max_reports : "store_id"')
        label = f"GMV Max reports ({len(gmv_max_reports)} streams)"
        report_boxes.append(
            [f'    gmv_max_reports["{label}"] {{', *_gmv_max_report_entity(gmv_max_reports), "    }"]
        )

    out = ["```mermaid", "erDiagram", *relations, ""]
    for stream in entities:
        out += [f"    {stream.name} {{", *_entity_attributes(stream, owners), "    }"]
    for box in report_boxes:
        out += box
    out.append("```")
    return "\n".join(out)


# --- document plumbing ---------------------------------------------------------------------------

BLOCKS: dict[str, Callable[[], str]] = {
    "config": config_block,
    "streams": entity_streams_block,
    "report-streams": report_streams_block,
    "erd": erd_block,
}
# Where each block lives, relative to the repository root: the user guide keeps the tables a user looks
# things up in, docs/ the rest.
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "README.md": ("config", "streams", "report-streams"),
    "docs/streams.md": ("erd",),
}


def _marker(kind: str, name: str) -> str:
    return f"<!-- {kind} GENERATED: {name} -->"


def render(text: str, blocks: Iterable[str] = tuple(BLOCKS), document: str = "README.md") -> str:
    """`text` with each of `blocks` rebuilt; a missing marker is an error, not a skip."""
    for name in blocks:
        begin, end = _marker("BEGIN", name), _marker("END", name)
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if len(pattern.findall(text)) != 1:
            raise SystemExit(f"{document} must contain exactly one '{begin}' … '{end}' pair.")
        body = f"{begin}\n<!-- Generated by scripts/gen_docs.py; edit the code, not this block. -->\n"
        body += f"{BLOCKS[name]()}\n{end}"
        # A function, not a string, as replacement: the block may contain backslashes (escaped pipes).
        text = pattern.sub(lambda _, body=body: body, text)
    return text


def _stale(path: Path, document: str, blocks: tuple[str, ...], write: bool) -> bool:
    """Whether the document at `path` was out of date; rewritten in place when `write`."""
    current = path.read_text()
    wanted = render(current, blocks, document)
    if wanted == current:
        return False
    if write:
        path.write_text(wanted)
        print(f"Updated {document}.")
        return True
    diff = difflib.unified_diff(
        current.splitlines(),
        wanted.splitlines(),
        f"{document} (current)",
        f"{document} (generated)",
        lineterm="",
    )
    print("\n".join(list(diff)[:80]))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a document is not up to date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the tree the documents are in")
    args = parser.parse_args(argv)
    stale = [
        document
        for document, blocks in DOCUMENTS.items()
        if _stale(args.root / document, document, blocks, write=not args.check)
    ]
    if args.check and stale:
        print(
            f"\n{', '.join(stale)} out of date with the code. Run `.venv/bin/python scripts/gen_docs.py` "
            "and commit the result.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
