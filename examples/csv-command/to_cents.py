"""A command handler in Python: CSV batch (with header) on stdin, JSON lines on stdout.

Run on its own over the whole file, it gives exactly what djc gives by
running it on every batch and concatenating the outputs in batch order.
"""
import csv
import json
import sys

min_cents = int(sys.argv[1]) if len(sys.argv) > 1 else 0
for row in csv.DictReader(sys.stdin):
    cents = round(float(row["amount"]) * 100)
    if cents < min_cents:
        continue
    print(json.dumps({
        "id": int(row["id"]),
        "customer": row["customer"],
        "cents": cents,
        "note_lines": len(row["notes"].splitlines()) if row["notes"] else 0,
    }, ensure_ascii=False))
