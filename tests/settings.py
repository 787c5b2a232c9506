"""Test settings: the project's own settings in local mode, with a data directory of their own."""

import os
from pathlib import Path

os.environ.setdefault("HELLOWORLD_LOCAL", "1")
os.environ.setdefault("HELLOWORLD_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from helloworld.settings import *  # noqa: F403
