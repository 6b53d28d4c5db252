"""The answer line's clip (direct.clip) counts each run of clauses' terms and length from
offsets found once, not by stripping every run and trying every term for it: the same line
as the run-by-run reading below, on random sentences, terms and limits."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.direct import _CLAUSE_RE, clip


def clip_by_runs(sentence: str, terms, limit: int) -> str:
    """clip as it read each run: its piece stripped, every term tried."""
    text = " ".join(sentence.split())
    if len(sentence) <= limit:
        return text
    terms = list(terms)
    bounds = [0] + [m.end() for m in _CLAUSE_RE.finditer(sentence)] + [len(sentence)]
    bounds = sorted(set(bounds))
    best, best_key = None, None
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            s, e = bounds[i], bounds[j]
            if len(sentence[s:e].strip()) > limit - 2:
                break
            count = sum(1 for ts, te in terms if s <= ts and te <= e)
            key = (count, e - s, -s)
            if best_key is None or key > best_key:
                best, best_key = (s, e), key
    if best is None or best_key[0] == 0 and terms:
        first = terms[0][0] if terms else 0
        s = max(0, sentence.rfind(" ", 0, max(0, first - limit // 3)) + 1)
        e = sentence.rfind(" ", s, s + limit - 2)
        best = (s, e if e > s else min(len(sentence), s + limit - 2))
    s, e = best
    piece = " ".join(sentence[s:e].split()).strip(" ,;:")
    return ("…" if s > 0 else "") + piece + ("…" if e < len(sentence) else "")


_pieces = st.sampled_from(["word", "ab", "Kim", " ", "  ", ",", ";", ":", "(", ")", " - ",
                           " — ", "\n\n", "\n", "\u00a0", "\u2003", "1961", ".", "x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=60), st.data(), st.integers(4, 80))
def test_clip_equals_the_run_by_run_reading(pieces, data, limit):
    sentence = "".join(pieces)
    n = len(sentence)
    spans = data.draw(st.lists(st.tuples(st.integers(-2, n + 2), st.integers(0, 6)),
                               max_size=8))
    terms = [(s, s + w) for s, w in spans]
    assert clip(sentence, terms, limit) == clip_by_runs(sentence, terms, limit)
