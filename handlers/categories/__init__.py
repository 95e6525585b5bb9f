"""Per-category keyword scorers.

Each module scores one category from the hits the engine found with that category's
section of ``rules.yaml``. The engine (``bot.classifier.engine``) runs them all and picks
the winner. Modules here import only ``bot.classifier.types`` so there is no import cycle.
"""
