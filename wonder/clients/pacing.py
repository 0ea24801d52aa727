"""Moved to ``wonder.clients.trestle.pacing`` (the pacer reads Trestle's quota headers).

Kept so ``wonder.listings.report`` keeps importing ``QuotaSnapshot`` from here until it moves to
``from wonder.clients.trestle import QuotaSnapshot``; then delete this module.
"""

from wonder.clients.trestle.pacing import PaceDecision, QuotaPacer, QuotaSnapshot, decide

__all__ = ["PaceDecision", "QuotaPacer", "QuotaSnapshot", "decide"]
