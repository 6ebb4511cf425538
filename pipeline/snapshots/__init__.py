"""Snapshots (dumps): what each is, where it comes from and when it was saved.

metadata  snapshot ids, `configs/snapshots.yaml` pins, and each dump's source and date
          (inferred, assumed or pinned) as ingest resolves them
catalog   the typed reader of ingest's `dumps.json` that every later stage uses
"""
