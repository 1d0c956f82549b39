"""Project format overrides (settings.FORMAT_MODULE_PATH). See zh_Hans/formats.py for why."""
