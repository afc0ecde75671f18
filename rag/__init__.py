"""Offline, citation-grounded question answering over news articles.

The data path is load → chunk → embed → index → retrieve → generate → verify;
`rag.answer.answer` runs it end to end and returns a typed `Answer`.
"""

__version__ = "0.1.0"
