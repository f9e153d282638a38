import sys

from playground.run import main

sys.exit(main())
