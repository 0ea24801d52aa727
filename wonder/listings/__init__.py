"""MLS listings: RESO normalization (pure), change detection, census and the Trestle ingest."""
