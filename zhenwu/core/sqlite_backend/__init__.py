"""Django's SQLite backend with a queue for writers (see base.py); settings.py selects it."""
