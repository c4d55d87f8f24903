"""Photo corpora, crops, cover/secret pairing and splits."""
