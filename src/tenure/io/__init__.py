"""Reading the files and frames a business brings: encodings, formats, mappings, values."""

from tenure.io._mapping import OPTIONS, Mapping, ReadOptions, RowFilter
from tenure.io._rows import Source
from tenure.io._sources import open_source

__all__ = ["OPTIONS", "Mapping", "ReadOptions", "RowFilter", "Source", "open_source"]
