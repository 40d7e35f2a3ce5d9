"""``python -m klyngedata ...`` is the same as the ``klyngedata`` command."""

from klyngedata.cli import main

if __name__ == "__main__":
    main()
