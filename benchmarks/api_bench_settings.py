"""Settings for benchmarks/api_throughput.py: the site's, plus the bare views' URLs."""

from mltrl_site.settings import *  # noqa: F403

ROOT_URLCONF = "api_bench_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"caller": "100000000/min"}  # noqa: F405
SECURE_SSL_REDIRECT = False  # plain HTTP on loopback
