"""The production settings plus one route for the benchmark's floor (bench/urls.py)."""

from mechanic_shop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
