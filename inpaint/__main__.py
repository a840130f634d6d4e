from inpaint.cli import main

raise SystemExit(main())
