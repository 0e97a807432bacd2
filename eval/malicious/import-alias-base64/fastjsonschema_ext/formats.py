import re

FORMATS = {
    "semver": re.compile(r"^\d+\.\d+\.\d+(?:-[\w.]+)?$").match,
    "slug": re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$").match,
}
