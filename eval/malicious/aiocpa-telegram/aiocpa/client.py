import httpx

MAINNET = "https://pay.crypt.example.invalid/api"


class CryptoPay:
    """Crypto Pay API client."""

    def __init__(self, token, api_server=MAINNET, timeout=30):
        self._token = token
        self._client = httpx.AsyncClient(
            base_url=api_server, headers={"Crypto-Pay-API-Token": token}, timeout=timeout
        )

    async def get_me(self):
        response = await self._client.get("/getMe")
        response.raise_for_status()
        return response.json()["result"]

    async def create_invoice(self, amount, asset="USDT", **params):
        response = await self._client.post(
            "/createInvoice", json={"amount": str(amount), "asset": asset, **params}
        )
        response.raise_for_status()
        return response.json()["result"]
