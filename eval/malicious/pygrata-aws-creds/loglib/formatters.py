import logging

COLOURS = {"DEBUG": 36, "INFO": 32, "WARNING": 33, "ERROR": 31, "CRITICAL": 41}


class ColourFormatter(logging.Formatter):
    def format(self, record):
        colour = COLOURS.get(record.levelname, 0)
        return f"\033[{colour}m{super().format(record)}\033[0m"


def get_logger(name, level=logging.INFO):
    logger = logging.getLogger(name)
    handler = logging.StreamHandler()
    handler.setFormatter(ColourFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return logger
