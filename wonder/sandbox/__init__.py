"""Local emulators of the external services (real HTTP servers, seeded data, faults)."""
