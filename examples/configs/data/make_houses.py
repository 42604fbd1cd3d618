"""Write ``houses.csv``: a small, seeded, made-up housing table for csv_regression.yaml.

The price (in units of 100,000) follows a known rule (size, rooms, age and a
district premium) plus noise, so the run's error can be judged against the
noise: a standard deviation of 0.1, a mean absolute error of about 0.08.

Run from the repository root::

    python examples/configs/data/make_houses.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROWS = 600
DISTRICT_PREMIUM = {"centre": 80.0, "north": 20.0, "river": 45.0, "south": 0.0}


def main() -> None:
    rng = np.random.default_rng(0)
    target = Path(__file__).with_name("houses.csv")
    with target.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["size_m2", "rooms", "age_years", "district", "price"])
        for _ in range(ROWS):
            size = float(rng.uniform(30, 200))
            rooms = int(np.clip(round(size / 30 + rng.normal(0, 0.7)), 1, 8))
            age = float(rng.uniform(0, 80))
            district = str(rng.choice(sorted(DISTRICT_PREMIUM)))
            price = 0.01 * (
                50
                + 2.2 * size
                + 8 * rooms
                - 0.9 * age
                + DISTRICT_PREMIUM[district]
                + rng.normal(0, 10)
            )
            writer.writerow(
                [f"{size:.1f}", rooms, f"{age:.0f}", district, f"{price:.3f}"]
            )
    print(f"wrote {ROWS} rows to {target}")


if __name__ == "__main__":
    main()
