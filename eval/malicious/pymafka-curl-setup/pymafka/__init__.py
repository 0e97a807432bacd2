"""Full-Featured Pure-Python Kafka Client."""
__version__ = "2.0.0"
