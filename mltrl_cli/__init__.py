"""``mltrl``: the command-line client pipelines use (standard library only).

See docs/ci.md. The server URL and token come from ``MLTRL_URL`` and
``MLTRL_TOKEN``.
"""
