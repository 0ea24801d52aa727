"""The Buildium client (header auth, limit/offset paging, 10 requests/s per account).

- ``client``: :class:`BuildiumClient`, paging, requests and their interpretation;
- ``auth``: the two auth headers as an ``httpx.Auth``;
- ``governor``: the process-wide rate bucket of each account;
- ``queries``: date-time formats, id lists split under the query-length limit, windows;
- ``records``: typed records of what the sync reads (money as Decimal).
"""

from wonder.clients.buildium.client import BuildiumClient, ListPage
from wonder.clients.buildium.queries import IncrementalWindow

__all__ = ["BuildiumClient", "IncrementalWindow", "ListPage"]
