"""Reading the files and frames a business brings: encodings, formats, mappings, values."""

from tenure.io._mapping import OPTIONS, Mapping, ReadOptions, RowFilter
from tenure.io._rows import Source
from tenure.io._sources import open_source
from tenure.io._suggest import SuggestedMapping, suggest_mapping

__all__ = ["OPTIONS", "Mapping", "ReadOptions", "RowFilter", "Source", "SuggestedMapping",
           "open_source", "suggest_mapping"]
