"""Exact portfolio selection over one JSON problem document (pure Python + PuLP)."""
