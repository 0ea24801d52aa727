"""The CoreLogic Trestle client (RESO Web API: OAuth2 client credentials + OData v4).

- ``client``: :class:`TrestleClient`, paging, requests and their interpretation;
- ``auth``: the token cache as an ``httpx.Auth``;
- ``pacing``: quota headers → :class:`QuotaSnapshot`, and the ``QuotaPacer`` governor;
- ``responses``: pure parsing of pages, EDMX and error bodies.
"""

from wonder.clients.trestle.client import TrestleClient
from wonder.clients.trestle.pacing import QuotaPacer, QuotaSnapshot
from wonder.clients.trestle.responses import ODataPage

__all__ = ["ODataPage", "QuotaPacer", "QuotaSnapshot", "TrestleClient"]
