"""lrlab's version, in a module of its own so that every other module can read it without importing lrlab."""

__version__ = "0.3.0"
