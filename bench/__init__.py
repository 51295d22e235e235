"""Benchmarks of Mailwright against a floor app in the same run (see bench/README.md).

`./mw bench <name> [--quick] [--json]`: intake, read, bulk, provision, scaleout, startup, or all."""
