"""The API toolkit every service uses (Google AIPs), pure: no I/O, no SQL, no gRPC.

- :mod:`~wonder.aip.fields`: typed fields and a collection's :class:`Catalogue` of them.
- :mod:`~wonder.aip.filtering`: AIP-160 ``filter`` parsed into a typed AST.
- :mod:`~wonder.aip.ordering`: AIP-132 ``order_by`` and keyset positions.
- :mod:`~wonder.aip.pagetoken`, :mod:`~wonder.aip.paging`: signed page tokens, page sizes and
  the cursor a ``List*`` method starts from.
- :mod:`~wonder.aip.names`: ``collection/{key}`` resource names.

Errors are :class:`wonder.errors.InvalidArgument` (field + description), which the API turns
into INVALID_ARGUMENT with a BadRequest field violation.
"""
