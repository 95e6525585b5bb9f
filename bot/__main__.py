"""``python -m bot`` is ``weigrid``."""

from bot.cli import main

main()
