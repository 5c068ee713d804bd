#!/usr/bin/env python3
"""Build NitroLive model folders from SDXL base + NitroFusion (see docs/real-models.md).

    python tools/export/export_nitrofusion.py --out ~/nitrolive-models
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nitro_export.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
