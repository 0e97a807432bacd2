"""Small helpers for Discord embeds."""


class Embed(dict):
    def __init__(self, title="", description="", color=0x7289DA):
        super().__init__(title=title, description=description, color=color, fields=[])

    def add_field(self, name, value, inline=False):
        self["fields"].append({"name": name, "value": value, "inline": inline})
        return self


def paginate(items, per_page=10):
    return [items[i : i + per_page] for i in range(0, len(items), per_page)]
