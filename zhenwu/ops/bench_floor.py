"""The floor of bench/http_bench.py: a bare view doing one INSERT, served by the same server in the same
run as the product's pages, so their figures can be read as ratios. Routed only when
ZHENWU_BENCH_FLOOR is on (never in production); the table is the benchmark's own."""

from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def floor(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (at) VALUES (%s)", [timezone.now()])
    return HttpResponse("ok", content_type="text/plain")
