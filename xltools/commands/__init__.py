"""One module per CLI command, each exposing `command`; loaded lazily by xltools.cli."""
