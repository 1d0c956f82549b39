import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
application = get_wsgi_application()

from zhenwu.ops.warmup import warm_up  # noqa: E402  (needs the settings configured above)

warm_up()

# What the master loaded is kept for the life of every worker: move it out of the garbage
# collector's generations, so that the workers' collections never write to those objects' pages
# and the pages stay shared with the master (Python's gc.freeze, for a fork without exec).
import gc  # noqa: E402

gc.freeze()
