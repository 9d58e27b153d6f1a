"""Reading the files and frames a business brings: encodings, formats, mappings, values."""

from tenure.io._mapping import OPTIONS, Mapping, ReadOptions
from tenure.io._sources import Source, open_source

__all__ = ["OPTIONS", "Mapping", "ReadOptions", "Source", "open_source"]
