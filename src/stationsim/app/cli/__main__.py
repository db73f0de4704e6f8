"""``python -m stationsim.app.cli``: the command-line interface (same as ``stationsim``)."""

from stationsim.app.cli import main

if __name__ == "__main__":
    main()
