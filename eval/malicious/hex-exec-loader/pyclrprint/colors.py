COLORS = {"red": 31, "green": 32, "yellow": 33, "blue": 34}


def cprint(text, color="green"):
    print(f"\033[{COLORS.get(color, 0)}m{text}\033[0m")
