"""``python -m devstack``: the demo (see devstack.demo)."""

import os
import sys

from devstack import project_root

# This process talks to Prefect too: like its children, it keeps its Prefect home under var/
# (and leaves ~/.prefect alone). Set before anything imports Prefect.
# Made now: Prefect warns at import time about a home it cannot find.
_prefect_home = project_root() / "var" / "prefect"
_prefect_home.mkdir(parents=True, exist_ok=True)
os.environ["PREFECT_HOME"] = str(_prefect_home)

from devstack.demo import main  # noqa: E402 (after PREFECT_HOME is set)

sys.exit(main())
