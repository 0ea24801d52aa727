"""`make demo`: the whole platform on one machine against the sandbox (``python -m devstack``).

Prefect is driven through its CLI and REST API only, so ``wonder`` still never imports Prefect.
"""
