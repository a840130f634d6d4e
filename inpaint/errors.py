"""User-facing errors: one clear message naming the culprit, non-zero exit."""


class InpaintError(Exception):
    """An error caused by the user's input (file, config key, name).

    The CLI prints ``error: <message>`` and exits with status 2; no traceback.
    The message must name the offending file, key or value.
    """
