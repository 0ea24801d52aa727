"""The test suite. Importing this package (pytest does, before any conftest) isolates the run.

Tests never read the developer's configuration: no ``WONDER_*`` variable (but the test database's
own, ``WONDER_TEST_*``) and no ``.env`` file reach ``Settings``, here or in the processes the tests
start. This must run before anything imports ``wonder.settings``, which reads ``WONDER_ENV_FILE``
once.
"""

import os

for _name in [
    n for n in os.environ if n.startswith("WONDER_") and not n.startswith("WONDER_TEST_")
]:
    del os.environ[_name]
os.environ["WONDER_ENV_FILE"] = ""
