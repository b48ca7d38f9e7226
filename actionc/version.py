"""actionc's version: a leaf module, so that every stage can read it without importing the package's API."""

__version__ = "0.1.0"
