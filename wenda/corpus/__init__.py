"""Reading files into documents and splitting documents into passages."""

from wenda.corpus.decode import decode_bytes
from wenda.corpus.loaders import MB, SUPPORTED, iter_files, read_documents
from wenda.corpus.split import split_passages, word_count

__all__ = [
    "MB",
    "SUPPORTED",
    "decode_bytes",
    "iter_files",
    "read_documents",
    "split_passages",
    "word_count",
]
