"""What goes back on the wire: content types, and the error answers of a failing server or proxy."""

from __future__ import annotations

import json

from .faults import FaultPlan

JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
NOT_FOUND = (404, TEXT, b"404 page not found")

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def http_error(faults: FaultPlan, request_id: str) -> tuple[int, str, bytes]:
    """An HTTP error status with the body the plan asks for: TikTok's JSON, a proxy's HTML, or nothing."""
    status = faults.http_error_status
    if faults.http_error_body == "json":
        body = {"code": 50000, "message": "System error.", "request_id": request_id, "data": {}}
        return status, JSON, json.dumps(body).encode()
    if faults.http_error_body == "html":
        page = f"<html><head><title>{status} {_REASONS[status]}</title></head><body><h1>{status} {_REASONS[status]}</h1></body></html>"
        return status, HTML, page.encode()
    return status, TEXT, b""
