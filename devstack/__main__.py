import sys

from devstack.demo import main

sys.exit(main())
