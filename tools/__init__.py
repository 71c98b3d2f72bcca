"""Repository tooling for Ember: benchmarks, version checks, package scaffolding."""
