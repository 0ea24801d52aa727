"""The edge every flow shares: settings (with secrets from Prefect blocks), client, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.blocks.system import Secret
from prefect.concurrency.sync import concurrency
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.trestle import TrestleClient
from wonder.db.engine import make_engine, session_factory
from wonder.settings import Settings


def load_settings(trestle_secret_block: str | None = None) -> Settings:
    """Settings from the environment / .env; the Trestle secret from a Secret block if named.

    ``trestle_secret_block`` (a flow parameter) wins over ``WONDER_TRESTLE__CLIENT_SECRET_BLOCK``.
    """
    settings = Settings()
    block_name = trestle_secret_block or settings.trestle.client_secret_block
    if not block_name:
        return settings
    block = Secret.load(block_name)
    assert isinstance(block, Secret)  # the sync call: a block, not a coroutine
    secret = SecretStr(str(block.get()))
    trestle = settings.trestle.model_copy(update={"client_secret": secret})
    return settings.model_copy(update={"trestle": trestle})


@contextmanager
def trestle_ingest(settings: Settings) -> Iterator[tuple[TrestleClient, sessionmaker[Session]]]:
    """The ingest slot, a Trestle client and a session factory, released when the block ends.

    The slot is a Prefect global concurrency limit (``settings.listings.concurrency_limit_name``,
    1 slot), taken strictly: a missing limit is an error, not a silent no-op. Create it once per
    Prefect server: ``prefect gcl create listings-ingest --limit 1`` (``make demo`` does).
    """
    engine = make_engine(settings.database_url)
    try:
        with (
            concurrency(
                settings.listings.concurrency_limit_name,
                occupy=1,
                strict=True,
                # A long first load must not die on one failed lease renewal.
                raise_on_lease_renewal_failure=False,
            ),
            TrestleClient(settings.trestle) as client,
        ):
            yield client, session_factory(engine)
    finally:
        engine.dispose()
