"""Text embeddings: encoders shipped inside PyPI packages, a content-addressed cache, and
encoding in chunks on the engine.

encoders  the encoders (MiniLM, WordLlama, TF-IDF+SVD) behind one interface
cache     embeddings cached by text, encoder and version
parallel  chunks of texts encoded on the engine's workers
texts     embed a list of texts through the cache (used by the embed and themes stages)
"""
