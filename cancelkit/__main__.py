"""`python -m cancelkit` runs the command line; the entry installs the interrupt handling
before the heavy imports."""

from .entry import main

main()
