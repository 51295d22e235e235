"""A CSV file of credentials as both faces answer it: streamed, `text/csv; charset=utf-8`, an attachment."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse

from mailwright.exports import csv_files
from mailwright.runtime import Runtime

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[str, Any] = {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "The CSV file (UTF-8, CRLF line ends, every cell quoted), header row first",
    "headers": {
        "Content-Disposition": {
            "description": 'attachment; filename="mailwright-<format>-<date>.csv"',
            "schema": {"type": "string"},
        }
    },
}


def csv_download(runtime: Runtime, scope: csv_files.ExportScope, csv_format: csv_files.CsvFormat) -> StreamingResponse:
    return StreamingResponse(
        csv_files.stream_csv(runtime, scope, csv_format),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{csv_files.filename(csv_format)}"'},
    )
