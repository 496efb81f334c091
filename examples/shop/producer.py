#!/usr/bin/python3
"""Enqueue a shop.charge from Python and print the typed receipt a worker
(the C shop-worker, or a Python one) returns.

    orcac --lang python -o . examples/shop/shop.orca     # writes shop_orca.py
    ./build/examples/shop/shop-worker &
    PYTHONPATH=. python3 examples/shop/producer.py [BACKEND_URL]

See docs/python.md."""
import datetime
import sys

import orcastra
import shop_orca
from shop_orca import ChargeArgs, Item, Order


def main(argv: list[str]) -> int:
    backend = argv[1] if len(argv) > 1 else None  # None: $ORCA_BACKEND or the default
    order = Order(id="py-1", items=[Item(sku="tea", qty=2), Item(sku="cake", price=3.5)],
                  placed_at=datetime.datetime.now(datetime.timezone.utc))
    with orcastra.Client(backend) as client:
        task_id = shop_orca.charge.enqueue(client, ChargeArgs(order=order))
        receipt = shop_orca.charge.result(client, task_id, timeout=30)
    print(f"{task_id}: charged {receipt.cents} cents for order {receipt.order_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
