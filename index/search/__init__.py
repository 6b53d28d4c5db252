"""The search floor: chunks analyzed into an index, the index opened and searched. Reading
(searcher.py, segments.py, load.py) never imports writing (build.py, update.py, merge.py);
engine.py, above both, decides when to load, update or rebuild. Nothing is imported here, so
opening an index loads no writer."""
