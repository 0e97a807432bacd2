"""Python SDK for the Exotel cloud telephony API."""
import requests

__version__ = "0.1.6"


class Exotel:
    def __init__(self, sid, token, base_url="https://api.exotel.example.invalid"):
        self.sid = sid
        self.token = token
        self.base_url = base_url

    def call(self, from_number, to_number, caller_id):
        return requests.post(
            f"{self.base_url}/v1/Accounts/{self.sid}/Calls/connect.json",
            auth=(self.sid, self.token),
            data={"From": from_number, "To": to_number, "CallerId": caller_id},
            timeout=30,
        ).json()
