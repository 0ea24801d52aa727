"""Mail: Gmail ingest, MIME parsing, linking to contacts and listings."""
