"""Local emulators of the external services (real HTTP servers, seeded data, faults).

Shared by every emulator:

- ``clock``: the virtual clock (``advance`` moves data changes, quotas and retries together);
- ``faults``: the base fault knobs and the seeded injector; ``profiles``: speed profiles;
- ``http``: the framework-free request/reply an emulator's one ``handle`` core works on;
- ``adapters``: that core behind Starlette (real server) or an ``httpx.MockTransport``;
- ``control``: the ``/_sandbox/{advance,faults,stats,reset}`` API from an ``Emulator``;
- ``webhooks``: signed webhook delivery with retries and suspension;
- ``server``: uvicorn in a thread; ``cli``: ``wonder sandbox EMULATOR``.

Each emulator is a package (``trestle/``; Buildium, Airtable and Gmail next) holding its
configuration, limits and fault knobs (``config.py``), its core and its ``cli.py``.
"""
