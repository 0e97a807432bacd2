"""The Python detector families, one module each. Importing this package registers every
detector with `registry`, family by family in the order of `FAMILIES`, then in order of
definition in each module: the order they run in (a shady URL weighs more next to
exfiltration, so `exfiltration` comes before `shady_urls`)."""

import importlib

FAMILIES = (
    "install_hooks",
    "browser_hijack",
    "import_time",
    "obfuscation",
    "download_exec",
    "write_run",
    "data_exec",
    "protected_code",
    "bytecode",
    "exfiltration",
    "shady_urls",
    "pth",
    "hidden_unicode",
    "unparsable",
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")
