import json
import os
import socket


class Presence:
    def __init__(self, client_id):
        self.client_id = client_id
        self.path = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "discord-ipc-0")

    def update(self, **activity):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(self.path)
        payload = json.dumps({"cmd": "SET_ACTIVITY", "args": {"pid": os.getpid(), "activity": activity}})
        sock.sendall(payload.encode())
        sock.close()
