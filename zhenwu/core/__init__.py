"""The bottom layer beside zhenwu.lib: the periodic-command hooks, live-migration operations and base errors every app may import (no models, not a Django app)."""
