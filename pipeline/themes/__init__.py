"""Named themes: their definitions, the labelled papers, the scorer and its honest evaluation.

definitions  configs/themes.yaml -> `Theme` (the one reader of that file)
labels       the labelled sets under configs/labels/, each carrying its own title and abstract
features     per-theme evidence: phrase similarity, keyword hits
classifier   the per-theme scorer and its threshold calibration
evaluation   cross-source and nested-CV accuracy with bootstrap intervals
"""
