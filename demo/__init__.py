"""`make demo`: real exports through sellerkit against the local vendor simulators."""
