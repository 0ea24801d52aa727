"""The Gmail sandbox's data: mailboxes seeded with realistic mail, changes over time, and the
push notifications those changes cause (at most one per second per mailbox, some dropped and
some late on purpose, as Pub/Sub push is)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.faults import FaultInjector
from wonder.sandbox.gmail.config import PUSH_MIN_INTERVAL_SECONDS, GmailAdvance, GmailSandboxConfig
from wonder.sandbox.gmail.mail_factory import Draft, ListingFact, MailFactory
from wonder.sandbox.gmail.mailbox import Mailbox, StoredMessage
from wonder.sandbox.gmail.push import PushKey, notification, push_signer
from wonder.sandbox.profiles import speed_profile
from wonder.sandbox.webhooks.outbox import WebhookOutbox
from wonder.sandbox.webhooks.policy import RetryPolicy

# Pub/Sub push retries with exponential backoff between 10 s and 600 s (the subscription's
# defaults) until the message's retention ends; the sandbox gives up after a day of tries.
PUBSUB_RETRY = RetryPolicy(
    delays_seconds=(10.0, 20.0, 40.0, 80.0, 160.0, 320.0, *(600.0,) * 140),
    timeout_seconds=10.0,
)
WATCH_DAYS = 7


def listing_facts(seed: int, count: int) -> list[ListingFact]:
    """The Trestle sandbox's listings for the same seed and size (leads name them)."""
    from wonder.sandbox.trestle.config import TrestleSandboxConfig
    from wonder.sandbox.trestle.sandbox import TrestleSandbox

    truth = TrestleSandbox(TrestleSandboxConfig(seed=seed, listings=count)).truth()
    return [
        ListingFact(
            key=str(record["ListingKey"]),
            mls_number=str(record["ListingId"]),
            address=str(record["UnparsedAddress"]),
            unit=record.get("UnitNumber"),
            agent_email=record.get("ListAgentEmail"),
            agent_name=record.get("ListAgentFullName"),
        )
        for record in truth.values()
    ]


class GmailState:
    def __init__(self, config: GmailSandboxConfig, faults: FaultInjector[Any]) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock = SandboxClock(config.start_time, frozen=config.frozen_clock)
        self._faults = faults
        self._rng = random.Random(config.seed)
        self.factory = MailFactory(
            config.seed, listing_facts(config.listing_seed, config.listings), "wonderstreet"
        )
        self.mailboxes = {
            address: Mailbox(
                address, random.Random(f"{config.seed}/{address}"), config.history_retention
            )
            for address in config.mailboxes
        }
        self._drafts: dict[str, list[Draft]] = {address: [] for address in config.mailboxes}
        self.push_key = PushKey.generate()
        self.outbox = WebhookOutbox(self.clock, seed=config.seed)
        self.push_counts = {"sent": 0, "dropped": 0, "late": 0, "coalesced": 0}
        self._last_push: dict[str, float] = {}
        self._push_subscription: str | None = None
        start = self.clock.now() - timedelta(days=30)
        for address in config.mailboxes:
            for index in range(config.messages_per_mailbox):
                when = start + timedelta(
                    minutes=index * 30 * 24 * 60 / max(1, config.messages_per_mailbox)
                )
                self._new_mail(address, when, reply=self._rng.random() < 0.2)

    # ------------------------------------------------------------ mail

    def _new_id(self) -> str:
        return f"{self._rng.getrandbits(64):016x}"

    def _new_mail(self, address: str, when: datetime, *, reply: bool) -> StoredMessage:
        drafts = self._drafts[address]
        thread_id: str | None = None
        if reply and drafts:
            original = self._rng.choice(drafts)
            draft = self.factory.reply(original, address, when)
            thread_id = original.truth.get("_thread")
        else:
            draft = self.factory.draft(address, when)
        return self.add_raw(
            address, draft.raw, set(draft.labels), draft.truth, thread_id, draft, when
        )

    def add_raw(
        self,
        address: str,
        raw: bytes,
        labels: set[str],
        truth: dict[str, Any] | None = None,
        thread_id: str | None = None,
        draft: Draft | None = None,
        when: datetime | None = None,
    ) -> StoredMessage:
        with self.lock:
            mailbox = self.mailboxes[address]
            message_id = self._new_id()
            thread = thread_id or message_id
            moment = when or self.clock.now()
            message = StoredMessage(
                message_id,
                thread,
                raw,
                int(moment.timestamp() * 1000),
                set(labels),
                0,
                dict(truth or {}),
            )
            mailbox.add(message)
            if draft is not None:
                draft.truth["_thread"] = thread
                self._drafts[address].append(draft)
            self.changed(mailbox, labels)
            return message

    def advance(self, request: GmailAdvance) -> dict[str, Any]:
        with self.lock:
            self.clock.advance(request.seconds)
            now = self.clock.now()
            addresses = list(self.mailboxes)
            counts = {"new_messages": 0, "replies": 0, "label_changes": 0, "deletions": 0}
            for index in range(request.new_messages):
                self._new_mail(addresses[index % len(addresses)], now, reply=False)
                counts["new_messages"] += 1
            for index in range(request.replies):
                self._new_mail(addresses[index % len(addresses)], now, reply=True)
                counts["replies"] += 1
            for index in range(request.label_changes):
                mailbox = self.mailboxes[addresses[index % len(addresses)]]
                if mailbox.messages:
                    target = self._rng.choice(sorted(mailbox.messages))
                    if "UNREAD" in mailbox.messages[target].label_ids:
                        mailbox.modify(target, (), ("UNREAD",))
                    else:
                        mailbox.modify(target, ("STARRED",), ())
                    self.changed(mailbox, {"UNREAD", "STARRED"})
                    counts["label_changes"] += 1
            for index in range(request.deletions):
                mailbox = self.mailboxes[addresses[index % len(addresses)]]
                if mailbox.messages:
                    mailbox.delete(self._rng.choice(sorted(mailbox.messages)))
                    self.changed(mailbox, set())
                    counts["deletions"] += 1
            if request.keep_history is not None:
                for mailbox in self.mailboxes.values():
                    mailbox.expire(request.keep_history)
            return {**counts, "now": now.isoformat()}

    # ------------------------------------------------------------ push

    def set_push_target(self, url: str, audience: str | None) -> str:
        with self.lock:
            if self._push_subscription is not None:
                self.outbox.unsubscribe(self._push_subscription)
            signer = push_signer(
                self.push_key,
                audience or self.config.push_audience or url,
                self.config.push_service_account,
            )
            policy = PUBSUB_RETRY.scaled(speed_profile(self.config.profile))
            self._push_subscription = self.outbox.subscribe(url, signer, policy=policy).id
            return self._push_subscription

    def watch(
        self, address: str, label_ids: list[str], behavior: str, topic: str
    ) -> dict[str, Any]:
        with self.lock:
            mailbox = self.mailboxes[address]
            expiration = self.clock.now() + timedelta(days=WATCH_DAYS)
            mailbox.watch = {
                "labelIds": set(label_ids),
                "behavior": behavior or "include",
                "topic": topic,
            }
            self._notify(mailbox)  # a watch sends one notification at once
            return {
                "historyId": str(mailbox.history_id),
                "expiration": str(int(expiration.timestamp() * 1000)),
            }

    def stop(self, address: str) -> None:
        with self.lock:
            self.mailboxes[address].watch = None

    def changed(self, mailbox: Mailbox, labels: set[str]) -> None:
        watch = mailbox.watch
        if watch is None:
            return
        watched: set[str] = watch["labelIds"]
        if watched:
            touches = bool(watched & labels)
            if (watch["behavior"] == "include") != touches:
                return
        self._notify(mailbox)

    def _notify(self, mailbox: Mailbox) -> None:
        now = self.clock.now_seconds()
        last = self._last_push.get(mailbox.address)
        if last is not None and now - last < PUSH_MIN_INTERVAL_SECONDS:
            # One per second per mailbox: the next notification names a later historyId.
            self.push_counts["coalesced"] += 1
            return
        self._last_push[mailbox.address] = now
        push = self.config.push
        if self._faults.chance("push_dropped", push.drop_rate):
            self.push_counts["dropped"] += 1
            return
        delay = 0.0
        if self._faults.chance("push_late", push.late_rate):
            self.push_counts["late"] += 1
            delay = push.late_seconds
        published = datetime.fromtimestamp(now, tz=UTC).isoformat().replace("+00:00", "Z")
        body = notification(
            mailbox.address,
            mailbox.history_id,
            str(self._rng.getrandbits(52)),
            published,
            "projects/wonder-sandbox/subscriptions/gmail-push",
        )
        self.outbox.enqueue(body, delay_seconds=delay)
        self.push_counts["sent"] += 1

    def truth(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {
                address: {
                    message.id: {
                        **{k: v for k, v in message.truth.items() if not k.startswith("_")},
                        "threadId": message.thread_id,
                        "labelIds": sorted(message.label_ids),
                    }
                    for message in mailbox.messages.values()
                }
                for address, mailbox in self.mailboxes.items()
            }
