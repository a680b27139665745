"""Sentences with known fillers and hedges, and content uses of the same words, as an interview answer says them.

Each entry: the sentence as a transcriber writes it (punctuated as whisper does), the fillers it holds and the
hedges it holds, in order. Written for this project; used by tests/audio/test_fillers.py (text level) and, through
espeak-ng, by the audio test there.
"""

from __future__ import annotations

LABELLED: list[tuple[str, list[str], list[str]]] = [
    # "like": filler vs verb, preposition, comparison
    ("I like Python because it is readable.", [], []),
    ("It was, like, the slowest query we had.", ["like"], []),
    ("Like, we had no tests at all.", ["like"], []),
    ("It looks like a deadlock to me.", [], []),
    ("We would like to cache the results.", [], []),
    ("Something like Redis would work here.", [], []),
    ("And like we shipped it on a Friday.", ["like"], []),
    ("Languages like Go compile to one binary.", [], []),
    # "so": sentence-initial discourse marker vs intensifier and conjunction
    ("So, the first thing I did was profile it.", ["so"], []),
    ("So we moved the cache closer to the service.", ["so"], []),
    ("It was so slow that users left.", [], []),
    ("We measured it, so we knew where the time went.", [], []),
    ("So far the results look good.", [], []),
    # "well": sentence-initial marker vs adverb
    ("Well, I would start with the requirements.", ["well"], []),
    ("Well I think the index was missing.", ["well"], ["i think"]),
    ("The service scaled well under load.", [], []),
    ("Well designed APIs are easy to change.", [], []),
    ("We used Postgres as well.", [], []),
    # "right": tag and marker vs adjective and direction
    ("Right, so the queue was the bottleneck.", ["right", "so"], []),
    ("You add an index on that column, right?", ["right"], []),
    ("That was the right decision for the team.", [], []),
    ("Turn right at the load balancer.", [], []),
    # "actually" / "basically": set off vs adverb inside the clause
    ("Actually, the bug was in the parser.", ["actually"], []),
    ("It actually worked on the first try.", [], []),
    ("Basically, we rewrote the scheduler.", ["basically"], []),
    ("The two designs are basically the same.", [], []),
    ("The fix was, basically, a missing lock.", ["basically"], []),
    # hesitations
    ("Um, I would use a hash map.", ["um"], []),
    ("The latency, uh, dropped by half.", ["uh"], []),
    ("We, er, split the table in two.", ["er"], []),
    ("Uh, let me think about that.", ["uh"], []),
    ("I, um, wrote the tests first, and uh, then I refactored.", ["um", "uh"], []),
    # "you know" / "I mean"
    ("It was, you know, a legacy system.", ["you know"], []),
    ("Do you know how a B-tree works?", [], []),
    ("I mean, it worked in the end.", ["i mean"], []),
    ("That is what I mean by coupling.", [], []),
    # hedges
    ("I think the cache was stale.", [], ["i think"]),
    ("Maybe we should have used a queue.", [], ["maybe"]),
    ("It is kind of slow on large inputs.", [], ["kind of"]),
    ("What kind of index would you use?", [], []),
    ("It was sort of a workaround.", [], ["sort of"]),
    ("It will probably fail under load.", [], ["probably"]),
    ("I guess the timeout was too short.", [], ["i guess"]),
    # mixed
    ("So, um, I think we, like, rewrote the whole thing.", ["so", "um", "like"], ["i think"]),
    ("Well, basically, it was kind of a race condition.", ["well", "basically"], ["kind of"]),
    ("Actually, I like Go more than Java.", ["actually"], []),
    ("We sharded the table so that writes spread out.", [], []),
    ("The answer is right there in the logs.", [], []),
    ("Probably the index, I mean, the missing one.", ["i mean"], ["probably"]),
    ("Uh, so, the plan was simple.", ["uh", "so"], []),
]
