"""`python -m cancelkit` runs the command line."""

from .cli import main

main()
