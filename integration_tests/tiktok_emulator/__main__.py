"""Run the emulator as a process: prints one ``EMULATOR_URL=<base_url>`` line, serves until signalled."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date

from .dataset import Dataset, DatasetSpec
from .divergent import PROFILES, STANDARD
from .faults import FaultPlan
from .latency import JITTER_PLACES, PROCESSING, QPS_WINDOWS, SLIDING, LatencyJitter, parse_jitter
from .report_cut import TIKTOK_CUT_SIZE
from .server import Emulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tiktok_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--advertisers", type=int, default=2)
    parser.add_argument("--campaigns", type=int, default=3, help="campaigns per advertiser")
    parser.add_argument("--adgroups", type=int, default=2, help="ad groups per campaign")
    parser.add_argument("--ads", type=int, default=2, help="ads per ad group")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today UTC"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deleted-every", type=int, default=5)
    parser.add_argument("--topview-every", type=int, default=0)
    parser.add_argument("--smart-plus-every", type=int, default=0)
    parser.add_argument("--upgraded-smart-plus-campaigns", type=int, default=0, help="per advertiser")
    parser.add_argument("--gmv-max-stores", type=int, default=0, help="TikTok Shop stores per advertiser")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--latency-jitter", type=parse_jitter, default=(0, 0), help="LOW-HIGH ms, uniform, seeded by --seed"
    )
    parser.add_argument(
        "--jitter-at",
        choices=JITTER_PLACES,
        default=PROCESSING,
        help="arrival: before the QPS count (network delay); processing: after it (TikTok computing the answer)",
    )
    parser.add_argument(
        "--qps-window",
        choices=QPS_WINDOWS,
        default=SLIDING,
        help="how the QPS cap counts: the last second at each arrival, or per calendar second",
    )
    parser.add_argument(
        "--report-cut-ids",
        type=int,
        default=TIKTOK_CUT_SIZE,
        help="synchronous reports spanning more ids keep the newest ones' rows and say so in a header",
    )
    parser.add_argument("--sandbox", action="store_true")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=STANDARD,
        help="divergent: a TikTok that differs from the connector's catalog (narrower metrics, numeric ids, …)",
    )
    parser.add_argument(
        "--keyless-rows", action="store_true", help="with --profile divergent: report rows without their ID"
    )
    parser.add_argument(
        "--delivery-day-percent", type=int, default=100, help="percent of advertiser-days with delivery"
    )
    parser.add_argument(
        "--late-conversion-every",
        type=int,
        default=0,
        help="every Nth idle advertiser-day: a late conversion",
    )
    parser.add_argument(
        "--zero-rows-below-advertiser",
        action="store_true",
        help="daily reports below advertiser level list objects with zeros on days without delivery",
    )
    parser.add_argument(
        "--offset-timezone-names", action="store_true", help="advertiser zones as UTC+HH:MM, not IANA names"
    )
    return parser


def _dataset(args: argparse.Namespace) -> Dataset:
    spec_args = {
        "advertisers": args.advertisers,
        "campaigns_per_advertiser": args.campaigns,
        "adgroups_per_campaign": args.adgroups,
        "ads_per_adgroup": args.ads,
        "days": args.days,
        "seed": args.seed,
        "deleted_every": args.deleted_every,
        "topview_every": args.topview_every,
        "smart_plus_every": args.smart_plus_every,
        "offset_timezone_names": args.offset_timezone_names,
        "upgraded_smart_plus_campaigns": args.upgraded_smart_plus_campaigns,
        "gmv_max_stores": args.gmv_max_stores,
        "delivery_day_percent": args.delivery_day_percent,
        "late_conversion_every": args.late_conversion_every,
        "zero_rows_below_advertiser": args.zero_rows_below_advertiser,
    }
    if args.end_date is not None:
        spec_args["end_date"] = args.end_date
    return Dataset.generate(DatasetSpec(**spec_args))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    emulator = Emulator(
        _dataset(args),
        faults=FaultPlan(latency_ms=args.latency_ms, report_cut_ids=args.report_cut_ids),
        sandbox=args.sandbox,
        host=args.host,
        port=args.port,
        profile=args.profile,
        keyless_rows=args.keyless_rows,
        jitter=LatencyJitter(*args.latency_jitter, seed=args.seed, where=args.jitter_at),
        qps_window=args.qps_window,
    )

    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with emulator:
        sys.stdout.write(f"EMULATOR_URL={emulator.base_url}\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
