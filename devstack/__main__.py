"""``python -m devstack``: the demo (see devstack.demo)."""

import os
import sys

from devstack import project_root

# This process talks to Prefect too: like its children, it keeps its Prefect home under var/
# (and leaves ~/.prefect alone). Set before anything imports Prefect.
os.environ["PREFECT_HOME"] = str(project_root() / "var" / "prefect")

from devstack.demo import main

sys.exit(main())
