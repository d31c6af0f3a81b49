"""Sub-commands of ``veille``; every module here is imported by :func:`pipeline.cli.load_commands`."""
