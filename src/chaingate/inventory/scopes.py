"""`--scope`: an inventory restricted to the packages of some scopes (runtime, an extra, a
dependency group), so a run judges only what those scopes pull in."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec.structs import replace

from chaingate.core.inventory import Inventory, InventoryError
from chaingate.core.scopes import normalize_scope, sorted_scopes


def restrict(inventory: Inventory, scopes: Iterable[str], *, strict: bool = True) -> Inventory:
    """`inventory` with only the packages in one of `scopes` (and only those scopes'
    unresolved entries). With `strict`, a scope no package is in is an InventoryError
    naming the scopes there are (a typo must not make an empty, clean run)."""
    wanted = {normalize_scope(s) for s in scopes}
    present = sorted_scopes(s for p in inventory.packages for s in p.scopes)
    if strict and inventory.packages:
        for scope in sorted_scopes(wanted):
            if scope not in present:
                raise InventoryError(
                    f"--scope {scope}",
                    None,
                    f"no package is in that scope (scopes here: {', '.join(present)})",
                )
    return replace(
        inventory,
        packages=tuple(p for p in inventory.packages if wanted & set(p.scopes)),
        unresolved_scopes=tuple(f for f in inventory.unresolved_scopes if f.scope in wanted),
    )
