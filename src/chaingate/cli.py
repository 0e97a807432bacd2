"""Command line (placeholder until the scan is wired)."""


def main() -> None:
    raise SystemExit(0)
