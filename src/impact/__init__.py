"""impact: territorial impact analysis for French public policy."""
__version__ = "0.1.0"
