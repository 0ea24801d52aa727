import sys

from wonder.demo.main import main

sys.exit(main())
