"""`python -m motcua_reporting` is `motcua-reporting`."""

from .main import main

main()
