"""``python -m stationsim.analysis.calibration run|blocs ...`` (see :mod:`.command`)."""

from stationsim.analysis.calibration.command import main

raise SystemExit(main())
