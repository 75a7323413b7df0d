"""`python -m cancelkit.spapi.standin`: the stand-in for Amazon on 127.0.0.1 until Ctrl-C."""

from . import main

main()
