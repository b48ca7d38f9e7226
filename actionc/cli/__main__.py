"""python -m actionc.cli"""

from actionc.cli import main

raise SystemExit(main())
