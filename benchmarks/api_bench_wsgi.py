"""gunicorn entry point of benchmarks/api_throughput.py (``api_bench_wsgi:application``)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
