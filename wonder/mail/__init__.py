"""The mail slice.

Pure core: MIME parsing (``parse``), quoted replies and signatures (``replies``), threading
(``threads``), and linking messages to the contacts and listings we know (``linking`` over the
``directory`` ports; ``sql_directory`` reads the listing tables). Gmail's ``format=raw`` answer,
base64url-decoded, is what :func:`wonder.mail.parse.parse_message` takes.

Ingest: ``sync`` (full and history sync of one mailbox through the fetch queue), ``store`` (its
writes), ``service`` (entry points for flows and ``wonder mail``), ``cli``.
"""
