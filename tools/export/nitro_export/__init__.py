"""NitroFusion -> NitroLive model folder export (runs on the export machine, never inside NitroLive)."""
