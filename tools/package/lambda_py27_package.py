"""Entry point of lambda-py27-package (the launcher runs it with `python2.7 -E -s`)."""
import sys

from lambda_py27_packaging.cli import main

if __name__ == '__main__':
    sys.exit(main())
