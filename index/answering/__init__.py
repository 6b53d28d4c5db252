"""The answering floor: what a question asks for and must respect, the second stage over
the search's candidates, the evidence rule, the answer line, and the service that puts them
together (answer.py)."""
