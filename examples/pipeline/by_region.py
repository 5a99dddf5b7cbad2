# One batch of clean orders (JSON lines on stdin) -> one JSON line per region: its total and order count.
import json
import sys

totals = {}
for line in sys.stdin:
    if not line.strip():
        continue
    order = json.loads(line)
    t = totals.setdefault(order["region"], {"region": order["region"], "cents": 0, "orders": 0})
    t["cents"] += order["cents"]
    t["orders"] += 1
for region in sorted(totals):
    print(json.dumps(totals[region]))
