"""The `sellerkit` command line (`sellerkit --help`); `main(argv)` returns its exit code.

Imported only by the console script and `python -m sellerkit`: the client packages never import it (or
cyclopts and rich), so `import sellerkit.<vendor>` stays as fast as before.
"""

from ._app import main, run
from ._errors import Exit

__all__ = ["Exit", "main", "run"]
