"""Topic models: BERTopic built from params, fitted on a reference and assigned dump by dump.

build     sub-models (UMAP, HDBSCAN, vectoriser, c-TF-IDF, representation) from `cfg.topics`
fit       the BERTopic fit, outlier re-assignment and the 2-D map
assign    papers outside the fitted sample, in chunks on the engine
words     word lists and readable labels per topic
history   which papers the model is fitted on as dumps arrive; stable ids across refits
align     topic matching by centroid similarity (refits, snapshot drift)
baselines scikit-learn NMF and LDA on the same vocabulary
metrics   coherence (NPMI), diversity, stability
quality   every model scored the same way, for metrics.json; the baselines' assignments
drift     per-snapshot fits for `compare`, their alignment and lineage
fitcache  fitted models and assignments kept between runs, keyed by their inputs
quiet     BERTopic's logger, silenced around deliberate steps
kernels   UMAP's numba kernels compiled once per machine, not once per process
"""
