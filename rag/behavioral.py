"""Behavioral judgement: each rubric point of a story judged on what the answer's sentences do, and the red flags an
interviewer holds against a story, each explained.

Why not embeddings alone: a rubric point ("Takes personal responsibility for the mistake") is a description of a
kind of sentence, not a fact, and "I did not take responsibility, it was the tester's fault" sits as close to it
in MiniLM space as "I took responsibility". Why not cue words alone: the old rule mapped a point to a STAR part by
a regex on the point's own wording, so a point worded unusually was judged against the wrong part. So:

1. A rubric point's *kind* (situation, task, action, result, number, reflection, ownership) is decided by meaning:
   the nearest of a few prototype descriptions per kind in MiniLM space, or "any" when no kind is clearly nearest
   (many rubric points are specific to their question).
2. Each sentence of the answer gets *roles* from negation-aware linguistic cues: who acts ("I" or only "we"), in
   the past (a real story) or hypothetically, an outcome stated or denied, a lesson, owning or deflecting a mistake.
   A cue with a negation just before it ("I didn't take responsibility", "we never shipped it") counts against the
   role, not for it.
3. A point is `covered` by the sentence nearest to it in meaning among those of its kind, or among the specific
   (narrative, non-blaming) sentences close enough to it; that deciding sentence is what feedback quotes. It is
   `contradicted` when the answer states the opposite (blame against an ownership point, an outcome denied against
   a result point, a lesson denied, or a bank pitfall said almost verbatim), else `missed`.
4. Red flags: `blame` (a blaming or denying cue, or several failures put on others with nothing owned),
   `no_result`, `we_only`, `disguised_strength` (weakness questions), `vague` (no specific past event) and
   `off_question`, which is a fail, not a gradual penalty: the answer is much nearer another behavioral question's
   model answer than the asked one's. Embeddings were measured for blame, outcomes and fit too: on the tuning lines
   and the bank's model answers they do not separate blame or a missing result (the model answers score as high
   on "blaming" prototypes as the blaming answers), so those two stay lexical.

Thresholds were tuned on the behavioral lines of tests/data/judgement/tuning.jsonl only, with the bank's 72 model
answers as negatives (`manage.py behavioral_evaluate --set tuning`); the held-out numbers (`--set heldout`) are in
docs/judgement-behavioral.md. They are much lower than on the tuning lines: with 36 tuning answers the cues overfit.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.verdicts import CONTRADICTED, COVERED, MISSED, Judgement, PointVerdict, RedFlag

BANK_DIR = Path(__file__).resolve().parent / "bank"

# --- tuned thresholds (see the module docstring) ----------------------------------------------------------------
# off_question: the answer's similarity to the asked question's theme minus the best other question's, and the
# absolute similarity under which a losing margin is trusted.
OFF_MARGIN = -0.24
# relevance (0..1) rises linearly over this span of margins centred on OFF_MARGIN: on-question stories sit at
# margins of -0.2 to +0.15 (another question's model answer is often as close as the asked one's), so from
# OFF_MARGIN + 0.1 an answer counts as fully relevant.
RELEVANCE_SPAN = 0.20
# A rubric point's kind is trusted when its nearest prototype is this close and this far ahead of the next kind.
KIND_MIN_SIM = 0.45
KIND_MARGIN = 0.04
# A point is covered by a narrative sentence (a specific past event) at least this close in meaning. Rubric points
# sit far from any one sentence: on the bank's model answers the nearest sentence reaches 0.25 for 66 % of their
# own points, and for 33 % of the points of another question.
ANY_POINT_SIM = 0.22
# A sentence of the point's kind covers it only when at least this near to it in meaning.
ROLE_POINT_SIM = 0.15
# A point is also covered, whatever its kind, by a sentence this close to it (a faithful paraphrase).
POINT_DIRECT_SIM = 0.60
# An action point needs an action sentence at least this near to it (any action does not cover "stepped in to
# cover a gap for the team").
ACTION_POINT_SIM = 0.20
# A bank pitfall (misconception claim) matches a sentence this close to it, and nearer to it than to the point.
PITFALL_SIM = 0.88
PITFALL_MARGIN = 0.05
# vague: at most this many narrative (past, specific) sentences, and at least this share of generic ones.
VAGUE_MAX_NARRATIVE = 1
VAGUE_MIN_GENERIC_SHARE = 0.34

WINDOW_WORDS = 20

# --- cues -------------------------------------------------------------------------------------------------------

_NEG_WORDS = (r"not|never|no|nobody|nothing|none|neither|nor|without|hardly|n't|didn't|don't|doesn't|wasn't|weren't|"
              r"isn't|aren't|couldn't|wouldn't|won't|can't|cannot|haven't|hasn't|hadn't|barely")
_NEG = re.compile(rf"(?:\b(?:{_NEG_WORDS})\b|n't\b)")
_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*|;\s+")
_IRREGULAR = ("made took wrote led ran built set spoke met told gave went sent got brought sat chose drove began "
              "found kept put did had paid won broke caused owned thought knew saw left felt held taught became "
              "came shut split cut read rewrote undertook sought fought stood understood began dealt meant sold "
              "bought spent lost hit let drew forgot grew rose fell oversaw")
_PAST = rf"(?:[a-z]{{2,}}ed|{'|'.join(_IRREGULAR.split())})"
_ADVERB = r"(?:also|then|quickly|personally|immediately|just|finally|first|eventually|actually|really|still|later|" \
          r"soon|once|initially|myself|carefully|deliberately|simply|even|already|never|not|did not|didn't)"
_I_AGENT = re.compile(rf"\bi(?:\s+{_ADVERB})*\s+{_PAST}\b")
_WE_AGENT = re.compile(rf"\b(?:we|the team|our team)(?:\s+{_ADVERB})*\s+{_PAST}\b")
_I_WORDS = re.compile(r"\b(?:i|me|my|myself|i'm|i've|i'd|i'll)\b")
_WE_WORDS = re.compile(r"\b(?:we|us|our|ours|ourselves|we've|we'd|we're|we'll)\b")
_GENERIC = re.compile(
    r"\b(?:i would|i'd|i will|i'll|i usually|i always|i generally|i normally|i tend to|i try to|i typically|"
    r"i like to|i make sure|i prefer|in general|generally|usually|typically|normally|whenever|if (?:i|you|someone|"
    r"there|a|the|we)|you (?:should|need|have to|want to|can|must)|it'?s (?:important|key|best|crucial|good)|"
    r"it is (?:important|key|best|crucial|good)|the (?:key|best way|trick) is|my approach is|i believe|"
    r"i think (?:it'?s|that)|in any|any time|every time|as a rule|people should|one should|i'm the kind|"
    r"i am the kind|i'm (?:a|someone)|i am (?:a|someone))\b")
_SITUATION = re.compile(
    r"\b(?:last (?:year|month|week|quarter|summer|spring|autumn|fall|winter|sprint)|at my (?:previous|last|old|"
    r"current|first|second) (?:job|company|role|team|employer|internship)|(?:back )?in (?:19|20)\d\d|when i was|"
    r"while i was|one time|a few (?:months|years|weeks) ago|(?:two|three|four|five|six|\d+) (?:months|years|weeks) "
    r"ago|during (?:my|the|a|an|our) |i was (?:working|leading|the|an?|on|responsible)|we (?:were|had) (?:a|an|"
    r"two|three|four|five|six|\d+|to|this|some)|our (?:team|company|product|client|customer)|there was a)\b")
_TASK = re.compile(
    r"\b(?:my (?:goal|task|job|role|responsibility|part|assignment|mandate|area) was|i was (?:asked|responsible|"
    r"tasked|supposed|assigned|expected|hired|brought in|in charge)|i (?:needed|had|wanted) to|"
    r"the (?:challenge|problem|issue|goal|deadline|risk|aim) was|(?:it|this) was (?:up to me|my job|on me)|"
    r"i owned|i was the (?:owner|lead|one))\b")
_RESULT = re.compile(
    r"\b(?:as a result|the (?:result|outcome|impact|upshot) was|in the end|ended up|by the end|"
    r"(?:reduced|increased|improved|cut|saved|grew|raised|lowered|doubled|halved|dropped|fell|rose|went (?:from|"
    r"down|up)|climbed|shrank)\b|(?:we|i|it|they|the team|the feature|the project|the release|the fix) "
    r"(?:shipped|delivered|launched|hit|met|finished|won|completed|released|closed|resolved|fixed|passed|"
    r"went live)|(?:it|that|this) worked|(?:has|have|had) (?:gone|dropped|fallen|risen|improved|grown|halved)|"
    r"gone from|(?:down|up) by (?:half|about|\d+|a third|a quarter)|fell by|(?:it'?s|it is|that'?s) improving|"
    r"solved it|(?:shipped|launched|went live|on schedule)|because of (?:this|that)|no longer|"
    r"(?:no|zero) (?:further |more |new )?(?:incidents?|outages?|data loss|complaints|bugs|errors|regressions|"
    r"escalations)|caught (?:two|three|\d+|several|a|the)|"
    r"(?:was|were|got) (?:promoted|adopted|praised|approved|accepted|resolved|fixed|renewed|"
    r"signed|merged|delivered|released|shipped|launched)|which (?:led|meant|resulted)|since then|afterwards|"
    r"on time|ahead of schedule|a week early|the client|the customer (?:renewed|stayed|thanked)|"
    r"thanked|\d+(?:\.\d+)? ?(?:%|percent))\b")
_NO_RESULT = re.compile(
    r"\b(?:(?:i|we) (?:don't|do not|never) (?:know|found out|heard|learned|saw)|(?:never|didn't) (?:found|find) out|"
    r"no idea (?:how|what|if|whether)|not sure (?:how|what|if|whether) (?:it|that|things|anything)|"
    r"(?:i|we) (?:left|moved on|changed teams|switched teams) (?:before|soon)|still (?:ongoing|unresolved|open|"
    r"undecided)|we'?ll see|(?:nothing|not much) (?:really )?(?:changed|came of it|happened)|"
    r"(?:never|didn't|did not) (?:measure|check|follow up|track)|hard to say (?:how|what|if|whether)|"
    r"don't (?:really )?remember (?:how|what|the))\b")
_SINCE_POSITIVE = re.compile(r"\b(?:never|no longer|not once|hasn't|haven't|didn't)\b[^.]*\b(?:again|since|came back"
                             r"|recurred|repeated|regressed)\b")
_REFLECTION = re.compile(
    r"\b(?:(?:i|we) (?:learned|learnt|realised|realized)|lesson|next time|takeaway|taught me|"
    r"do (?:it|things|that) differently|since then|in hindsight|looking back|from then on|ever since|"
    r"i now|now i|these days i|i've since|i have since)\b")
_OWN = re.compile(
    r"\b(?:(?:i )?(?:took|take|taking|accepted|accept) (?:full |personal |complete )?(?:responsibility|ownership|the"
    r" blame)|(?:it|this|that) was (?:my|entirely my|all my) (?:fault|mistake|call|bug|error|miss|oversight)|"
    r"my (?:mistake|fault|error|bad|oversight)|i (?:made|caused|introduced|broke|missed|forgot|overlooked|"
    r"misjudged|underestimated|skipped|pushed|shipped) (?:a|an|the|it|that|this|my)|i (?:owned|own) (?:it|up|the"
    r"|my)|i apologi[sz]ed|i admitted|i was (?:wrong|at fault|responsible for (?:the|it|that|this)))\b")
_BLAME = re.compile(
    r"\b(?:(?:not|wasn't|isn't|was not|is not|never) (?:really |actually )?(?:my|our) (?:fault|responsibility|"
    r"problem|call|job|decision|mistake|doing)|(?:his|her|their|[a-z]+'s) (?:fault|mistake|responsibility|"
    r"problem)|(?:i )?blamed? (?:him|her|them|the|it on|qa|ops)|(?:it|this|that) was (?:all |entirely |really )?"
    r"(?:because of|down to|on) (?:him|her|them|the (?:other|qa|ops|backend|frontend|product|design|sales|"
    r"management|client|vendor|tester|intern|contractor|junior))|nothing (?:i|we) could (?:have )?(?:do|done)|"
    r"out of my (?:hands|control)|i (?:was )?just (?:following|doing what)|i did(?:n't| not) (?:do anything wrong|"
    r"make (?:a|any|the) mistake|cause|break)|(?:i|we) (?:had|have) (?:nothing|no part) to do with|"
    r"if (?:they|he|she|the \w+) (?:had|would have) (?:just )?(?:listened|told|tested|checked|done)|"
    r"(?:they|he|she|the (?:other|qa|ops|backend|frontend|product|design)\s?\w*|the (?:manager|client|vendor|"
    r"tester|intern|contractor|junior|pm)) (?:should have|failed to|messed up|dropped the ball|screwed up|"
    r"never told|didn't tell|did not tell|didn't test|did not test|forgot to)|(?:wasn't|was not|isn't|is not) "
    r"(?:really |all |entirely )?(?:on|up to|down to) me|(?:the )?process (?:just )?failed|"
    r"(?:nobody|no one) else (?:would|did|cared|bothered)|"
    r"didn't know what (?:they|he|she) (?:were|was) doing|(?:he|she|they) (?:was|were) (?:just )?(?:difficult|"
    r"impossible|lazy|useless|incompetent|too slow)|difficult to work with|(?:ignored|undermined) me|"
    r"(?:don't|didn't|do not|did not) pull (?:their|his|her) weight|more about the (?:environment|team|company|"
    r"manager|process) than (?:me|myself)|everyone else (?:is|was|were) (?:late|slow|wrong)|only so much (?:i|you|"
    r"one) can do|sided with them|(?:couldn't|could not|can't) keep up|(?:was|were) (?:just )?unrealistic|"
    r"if (?:people|reviews|they|he|she|management|my manager|the (?:team|others|pm|manager|reviewers?)) "
    r"(?:did|had|had been|would|were|was)|to be fair,? (?:the|it|that) (?:code )?(?:had been|was) (?:reviewed|"
    r"signed off)|(?:committed|promised|agreed) to (?:a|the) (?:date|deadline) without asking)\b")
# Someone else as the subject of a failure ("the pm committed without asking", "he would not follow the
# conventions"): one is context every story has; two or more, with the candidate not owning anything, is blame.
_OTHER_SUBJECT = (r"(?:he|she|they|the (?:other|previous|old|qa|ops|backend|frontend|product|design|sales|data|api|"
                  r"platform|infra|security)(?: \w+)?|(?:my|our|the|his|her|their) (?:manager|boss|lead|pm|product "
                  r"manager|product owner|client|customer|vendor|tester|colleague|coworker|teammates?|director|cto|"
                  r"stakeholders?|reviewers?)|management|leadership|everyone else|nobody|no one|people|others|"
                  r"the rest of (?:the|my) team|the team)")
_OTHER_FAILED = (r"(?:didn't|did not|wouldn't|would not|couldn't|could not|never|refused|failed|ignored|forgot|broke|"
                 r"messed|missed|dropped the ball|(?:was|were) (?:late|wrong|slow|difficult|unrealistic|useless|lazy|"
                 r"clueless|careless)|wasn't|weren't|kept (?:changing|adding|ignoring|missing|breaking|pushing)|"
                 r"had no idea|didn't care|blocked|complained|sided)")
_OTHER_FAULT = re.compile(rf"\b{_OTHER_SUBJECT}\b(?:\s+\w+){{0,3}}?\s+{_OTHER_FAILED}\b")
OTHER_FAULTS_FOR_BLAME = 2
_OWN_DENIED = re.compile(r"\bi (?:did not|didn't|never|don't|refused to|wouldn't) (?:really )?(?:take|accept|"
                         r"feel) (?:any |full |personal |the )?(?:responsibility|ownership|blame|accountable)\b")
_REFLECTION_DENIED = re.compile(
    r"\b(?:(?:i|we) (?:didn't|did not|don't|never) (?:really )?(?:learn|change|take away)|nothing (?:much |really )?"
    r"(?:to learn|i would change|i'd change|to change)|(?:wouldn't|would not|won't) (?:do|change) (?:anything|a "
    r"thing)|no (?:real )?lessons?)\b")
_NUMBER = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:%|percent|x|times|hours?|days?|weeks?|months?|users?|people|ms|seconds?|minutes?|k|"
    r"million|thousand|customers?|tickets?|bugs?|incidents?)?\b|\b(?:half|doubled|tripled|halved|twice)\b|"
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen)\b")
# Questions that ask for a story or an example from experience (so an outcome and one's own part are expected),
# as opposed to questions of motivation or logistics ("Why this company?").
_STORY_Q = re.compile(r"\b(?:tell me about (?!yourself)|describe a|give (?:me )?an example|a time (?:you|when)|"
                      r"a situation|walk me through a|an example of|share an example|a project|proud|achievement|"
                      r"accomplish|weakness|strength|mistake|fail|conflict|disagree|got something wrong)", re.I)
_WEAKNESS_Q = re.compile(r"\b(?:weakness|weaknesses|area for improvement|areas? to improve|working to improve|"
                         r"development area|improve right now|strengths? turned into a weakness)\b", re.I)
# Prototype descriptions of each kind of rubric point: a point's kind is the nearest kind in meaning.
_KIND_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "situation": ("Describes the situation, the context and what was at stake.",
                  "Sets the scene: the team, the project and the goal.",
                  "Explains the background of the problem and why it mattered."),
    "task": ("Explains the candidate's own role and responsibility.",
             "States the goal or challenge the candidate had to meet.",
             "Makes clear what the candidate personally had to achieve."),
    "action": ("Shows the specific steps the candidate took.",
               "Explains how the candidate handled it and what they did.",
               "Describes concrete actions the candidate took to work with others."),
    "result": ("States the outcome and its impact.",
               "Describes how the situation was resolved and what was delivered.",
               "Ends with the result for the team, the customer or the business."),
    "number": ("Quantifies the outcome with a concrete metric.",
               "Gives a number that measures the result.",
               "Quantifies the impact in numbers.",
               "Quantifies the cost, the time saved or the users affected."),
    "reflection": ("Reflects on the lesson learned and what they would do differently.",
                   "Shows what the candidate learned and changed afterwards."),
    "ownership": ("Takes personal responsibility for the mistake without blaming others.",
                  "Owns the problem and admits their own part in it.",
                  "Acknowledges the error honestly."),
}
_FLAG_TEXT = {
    "blame": ("The story puts the fault on others or denies your own part; interviewers read that as someone who "
              "will not learn from mistakes. Say what you got wrong and what you changed."),
    "no_result": ("The story has no outcome: the interviewer never learns whether what you did worked. End with "
                  "the result, a number if you have one, and what it changed."),
    "we_only": ("Every action is “we”, never “I”: the interviewer cannot tell what you did yourself. Keep the team "
                "as context and tell your own steps with “I”."),
    "disguised_strength": ("The weakness is a strength in disguise; interviewers hear it as evasive. Name a real "
                           "weakness, its cost, and the concrete steps you are taking to improve it."),
    "off_question": ("The story does not answer the question that was asked, so it cannot pass however well it is "
                     "told. Pick a story that fits the question and say early how it does."),
    "vague": ("The answer stays general (what you would or usually do) without one specific situation; "
              "interviewers want a real example: when, where, what you did, what happened."),
}
_SEVERITY = {"off_question": "fail"}
_KIND_CORRECTION = {
    "ownership": ("Own your part: say plainly what you did wrong, then what you did to fix it.",
                  "Interviewers ask about mistakes to see accountability; deflecting blame is a common reason to "
                  "reject an otherwise strong candidate."),
    "result": ("Finish with what happened because of your actions: the outcome, ideally measured.",
               "Without an outcome the interviewer cannot judge whether your actions worked."),
    "number": ("Give a concrete measure of the outcome (time saved, errors cut, users affected).",
               "A number makes the impact believable and comparable."),
    "reflection": ("Name one thing you learned and what you do differently since.",
                   "Interviewers look for people who learn from experience; “nothing to learn” signals the opposite."),
}


@dataclass(frozen=True)
class _Sentence:
    text: str
    lower: str
    i_agent: bool       # "I" acts in the past, not negated
    we_agent: bool
    i_negated: bool     # "I didn't / I never ..." as the only agency
    generic: bool       # hypothetical or habitual, not a specific event
    situation: bool
    task: bool
    result: bool
    no_result: bool
    reflection: bool
    reflection_denied: bool
    own: bool
    blame: bool
    number: bool

    @property
    def narrative(self) -> bool:
        """Tells a specific past event (not what one would or usually does)."""
        return (self.i_agent or self.we_agent or self.situation or self.result) and not self.generic


def _negated_before(lower: str, start: int, window: int = 4) -> bool:
    """A negation among the `window` words right before a cue at `start` (same clause)."""
    before = re.split(r"[,;:]| but | although | though ", lower[:start])[-1]
    words = before.split()[-window:]
    return bool(_NEG.search(" ".join(words)))


def _positive(pattern: re.Pattern[str], lower: str) -> bool:
    """The cue occurs at least once without a negation right before it."""
    return any(not _negated_before(lower, m.start()) and not _NEG.search(m.group(0)) for m in pattern.finditer(lower))


def _read_sentence(text: str) -> _Sentence:
    lower = " " + text.lower().replace("’", "'") + " "
    agents = [m for m in _I_AGENT.finditer(lower)]
    i_positive = any(not _NEG.search(m.group(0)) and not _negated_before(lower, m.start(), 2) for m in agents)
    result_hits = [m for m in _RESULT.finditer(lower)]
    result = any(not _negated_before(lower, m.start()) for m in result_hits) or bool(_SINCE_POSITIVE.search(lower))
    blame = bool(_BLAME.search(lower) or _OWN_DENIED.search(lower))
    return _Sentence(
        text=text.strip(), lower=lower, i_agent=i_positive, we_agent=bool(_WE_AGENT.search(lower)),
        i_negated=bool(agents) and not i_positive, generic=bool(_GENERIC.search(lower)),
        situation=bool(_SITUATION.search(lower)), task=_positive(_TASK, lower), result=result,
        no_result=bool(_NO_RESULT.search(lower)) or (bool(result_hits) and not result),
        reflection=_positive(_REFLECTION, lower) and not _REFLECTION_DENIED.search(lower),
        reflection_denied=bool(_REFLECTION_DENIED.search(lower)),
        own=_positive(_OWN, lower) and not blame, blame=blame,
        number=bool(_NUMBER.search(lower)),
    )


def sentences_of(answer: str) -> list[str]:
    """Sentences; unpunctuated speech (a transcript with no full stops) is cut into WINDOW_WORDS-word pieces so a
    cue or a blame in the middle of it is read on its own."""
    out = []
    for sentence in _SPLIT.split(" ".join((answer or "").split())):
        words = sentence.split()
        if len(words) < 2:
            continue
        if len(words) <= WINDOW_WORDS * 3 // 2:
            out.append(sentence.strip())
            continue
        out.extend(" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, len(words), WINDOW_WORDS)
                   if len(words[i:i + WINDOW_WORDS]) >= 2)
    return out


# --- the bank's behavioral questions (for off_question) ---------------------------------------------------------

_themes_lock = threading.Lock()
_themes: dict[str, tuple[str, tuple[str, ...]]] | None = None


def _bank_themes() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every behavioral question of the bank files -> (its model answer, its key points), read once per process.

    Read from the JSON directly (not the database) so the judge stays a pure function of the repository; a file
    being edited and briefly invalid is skipped, not fatal."""
    global _themes
    with _themes_lock:
        if _themes is None:
            found: dict[str, tuple[str, tuple[str, ...]]] = {}
            for path in sorted(BANK_DIR.glob("*.json")):
                try:
                    data = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if (data.get("topic") or {}).get("kind") != "behavioral":
                    continue
                for q in data.get("questions") or []:
                    if q.get("question") and not q.get("duplicate_of"):
                        found[_norm(q["question"])] = (q.get("reference_answer") or "",
                                                       tuple(q.get("key_points") or ()))
            _themes = found
        return _themes


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-12)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _own_question(question: str, key_points: Sequence[str]) -> str | None:
    """The asked question's bank text (normalised): by its text, else by its key points (a paraphrase was asked)."""
    themes = _bank_themes()
    key = _norm(question)
    points = tuple(key_points)
    return key if key in themes else next((q for q, (_, kp) in themes.items() if points and kp == points), None)


def question_fit(*, question: str, key_points: Sequence[str], answer_vector: np.ndarray) -> tuple[float, float]:
    """(similarity of the answer to the asked question's model answer, margin over the nearest *other* behavioral
    question's model answer).

    Model answers, not question texts: a question is a few words, and "a mistake you made" and "an incident you
    caused" differ mostly in the stories they expect. The asked question is found in the bank by its text or, when
    an interviewer's paraphrase was asked, by its key points; it is never counted among the others. A question
    outside the bank is represented by its own text."""
    from rag.embeddings import embed_cached

    themes = _bank_themes()
    own = _own_question(question, key_points)
    others = [themes[q][0] for q in themes if q != own and themes[q][0]]
    asked = float(embed_cached([themes[own][0] if own and themes[own][0] else question])[0] @ answer_vector)
    if not others:
        return asked, 1.0
    return asked, asked - float(np.max(embed_cached(others) @ answer_vector))


# --- rubric kinds -----------------------------------------------------------------------------------------------

def rubric_kinds(points: Sequence[str]) -> list[str]:
    """Each rubric point's kind: the kind whose prototype descriptions are nearest in meaning, or "any" when no
    kind is clearly nearest (many rubric points are specific to their question: "Brought the stakeholders
    together"), in which case the point is judged by meaning alone."""
    from rag.embeddings import embed_cached

    if not points:
        return []
    names = list(_KIND_PROTOTYPES)
    protos = [p for name in names for p in _KIND_PROTOTYPES[name]]
    sims = embed_cached(list(points)) @ embed_cached(protos).T
    per_kind, offset = [], 0
    for name in names:
        n = len(_KIND_PROTOTYPES[name])
        per_kind.append(sims[:, offset:offset + n].max(axis=1))
        offset += n
    kinds = []
    for row in np.stack(per_kind, axis=1):
        order = np.argsort(-row)
        confident = row[order[0]] >= KIND_MIN_SIM and row[order[0]] - row[order[1]] >= KIND_MARGIN
        kinds.append(names[int(order[0])] if confident else "any")
    return kinds


def _has_role(s: _Sentence, kind: str, *, first_third: bool) -> bool:
    # What the candidate would or usually does is not evidence of what they did (a lesson may be put that way).
    if s.generic and kind != "reflection":
        return False
    if kind == "situation":
        return s.situation or (first_third and (s.we_agent or s.i_agent) and not s.generic)
    if kind == "task":
        return s.task
    if kind == "action":
        return s.i_agent and not s.generic
    if kind == "result":
        return s.result
    if kind == "number":
        return s.number
    if kind == "reflection":
        return s.reflection
    if kind == "ownership":
        return s.own
    return False  # "any": judged by meaning in behavioral_judge


def _contradiction(sentences: list[_Sentence], kind: str) -> _Sentence | None:
    """The sentence that states the opposite of a point of this kind, when no sentence states the point."""
    if kind == "ownership" and not any(s.own for s in sentences):
        return next((s for s in sentences if s.blame), None)
    if kind in ("result", "number") and not any(s.result for s in sentences):
        return next((s for s in sentences if s.no_result), None)
    if kind == "reflection" and not any(s.reflection for s in sentences):
        return next((s for s in sentences if s.reflection_denied), None)
    return None


# --- the judge --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BehavioralReading:
    """What the judge read from the answer, kept for tests, the evaluation command and the coach's wording."""

    story_question: bool
    weakness_question: bool
    asked_similarity: float
    margin: float
    i_actions: int
    we_actions: int
    narrative: int
    generic: int
    sentences: int


def _flags(sentences: list[_Sentence], vectors: np.ndarray, reading: BehavioralReading) -> list[RedFlag]:
    found: dict[str, str] = {}
    if reading.margin < OFF_MARGIN:
        found["off_question"] = sentences[0].text
    blame = next((s for s in sentences if s.blame), None)
    faults = [s for s in sentences for _ in _OTHER_FAULT.finditer(s.lower)]
    if blame is None and len(faults) >= OTHER_FAULTS_FOR_BLAME and not any(s.own for s in sentences):
        blame = faults[0]
    if blame is not None:
        found["blame"] = blame.text
    if reading.weakness_question:
        # Cue families, meaning and a told cost together (rag/weakness.py): one regex on one word was not enough.
        from rag.weakness import disguised_strength

        disguised = disguised_strength([s.text for s in sentences], vectors)
        if disguised is not None:
            # The more specific diagnosis: a strength offered as the weakness is why the answer misses the question.
            found.pop("off_question", None)
            found["disguised_strength"] = disguised
    # The story flags need a story question, and say nothing more once the answer is off the question or is a
    # strength in disguise (no story of the asked kind to judge).
    if reading.story_question and not {"off_question", "disguised_strength"} & found.keys():
        generic_share = reading.generic / max(1, reading.sentences)
        if reading.narrative == 0 or (reading.narrative <= VAGUE_MAX_NARRATIVE
                                      and generic_share >= VAGUE_MIN_GENERIC_SHARE):
            if "blame" not in found:  # blaming "people like that" in general is the blame, not vagueness
                found["vague"] = next((s.text for s in sentences if s.generic), sentences[0].text)
        else:
            if reading.we_actions >= 1 and reading.i_actions == 0:
                found["we_only"] = next(s.text for s in sentences if s.we_agent)
            # A blaming story is judged for the blame: whatever came of it, that is what the interviewer remembers.
            if not any(s.result for s in sentences) and "blame" not in found:
                found["no_result"] = next((s.text for s in sentences if s.no_result), sentences[-1].text)
    return [RedFlag(code=code, message=_FLAG_TEXT[code], severity=_SEVERITY.get(code, "major"),
                    sentence=sentence[:300]) for code, sentence in found.items()]


def behavioral_read(*, question: str, answer: str, key_points: Sequence[str] = ()
                    ) -> tuple[list[_Sentence], np.ndarray, BehavioralReading]:
    from rag.embeddings import embed

    texts = sentences_of(answer)
    sentences = [_read_sentence(t) for t in texts]
    vectors = embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    if len(vectors):
        asked, margin = question_fit(question=question, key_points=key_points,
                                     answer_vector=_unit(vectors.mean(axis=0)))
    else:
        asked, margin = 0.0, 0.0
    narrative = sum(1 for s in sentences if s.narrative)
    # The kind of question from what was asked and from the bank's wording of it (an interviewer's paraphrase may
    # not say "weakness").
    asked_as = f"{question} {_own_question(question, key_points) or ''}"
    reading = BehavioralReading(
        story_question=bool(_STORY_Q.search(asked_as)), weakness_question=bool(_WEAKNESS_Q.search(asked_as)),
        asked_similarity=round(asked, 4), margin=round(margin, 4),
        i_actions=sum(1 for s in sentences if s.i_agent), we_actions=sum(1 for s in sentences if s.we_agent),
        narrative=narrative, generic=sum(1 for s in sentences if s.generic), sentences=len(sentences))
    return sentences, vectors, reading


def behavioral_judge(*, question: str, key_points: list[str], answer: str, misconceptions: list[dict]) -> Judgement:
    """Verdicts on the rubric points of a behavioral question, the answer's relevance, and its red flags."""
    from rag.embeddings import embed_cached

    points = [p for p in key_points if p and p.strip()]
    sentences, vectors, reading = behavioral_read(question=question, answer=answer, key_points=points)
    if not sentences:
        return Judgement(verdicts=tuple(PointVerdict(index=i, point=p, verdict=MISSED) for i, p in enumerate(points)),
                         relevance=0.0)
    kinds = rubric_kinds(points)
    point_sims = vectors @ embed_cached(points).T if points else np.zeros((len(sentences), 0))
    pitfalls = _pitfalls(misconceptions, len(points))
    claim_sims = vectors @ embed_cached([m["claim"] for m in pitfalls]).T if pitfalls else None
    third = max(1, (len(sentences) + 2) // 3)
    blames = any(s.blame for s in sentences)
    verdicts = []
    for j, (point, kind) in enumerate(zip(points, kinds, strict=True)):
        sims = point_sims[:, j]
        closest = int(np.argmax(sims))
        pitfall = _pitfall_hit(pitfalls, claim_sims, sims, j)
        if pitfall is not None:
            m, row = pitfall
            verdicts.append(PointVerdict(index=j, point=point, verdict=CONTRADICTED, sentence=sentences[row].text,
                                         confidence=0.7, similarity=round(float(claim_sims[row, m]), 3),
                                         correction=pitfalls[m]["correction"], why=pitfalls[m]["why"]))
            continue
        # Two ways to cover a point: a sentence of its kind that is at least loosely about it, or a specific
        # sentence that says it in other words. Neither may be a generic ("I would ...") or a blaming sentence.
        candidates = [i for i, s in enumerate(sentences)
                      if ((_has_role(s, kind, first_third=i < third)
                           # Telling your own part of a mistake, blaming nobody, is owning it.
                           or (kind == "ownership" and not blames and s.i_agent))
                          and sims[i] >= (ACTION_POINT_SIM if kind == "action" else ROLE_POINT_SIM))
                      or (sims[i] >= ANY_POINT_SIM and s.narrative and not s.blame)]
        if not candidates and sims[closest] >= POINT_DIRECT_SIM and not sentences[closest].blame:
            candidates = [closest]
        if candidates:
            best = max(candidates, key=lambda i: sims[i])
            verdicts.append(PointVerdict(index=j, point=point, verdict=COVERED, sentence=sentences[best].text,
                                         confidence=0.8, similarity=round(float(sims[best]), 3)))
            continue
        against = _contradiction(sentences, kind)
        if against is not None:
            correction, why = _KIND_CORRECTION.get(kind, (point, ""))
            verdicts.append(PointVerdict(index=j, point=point, verdict=CONTRADICTED, sentence=against.text,
                                         confidence=0.75, similarity=round(float(sims[sentences.index(against)]), 3),
                                         correction=correction, why=why))
            continue
        verdicts.append(PointVerdict(index=j, point=point, verdict=MISSED, confidence=0.6,
                                     similarity=round(float(sims[closest]), 3), closest=sentences[closest].text))
    flags = _flags(sentences, vectors, reading)
    relevance = _relevance(reading)
    return Judgement(verdicts=tuple(verdicts), relevance=relevance, red_flags=tuple(flags))


def _relevance(reading: BehavioralReading) -> float:
    """0..1 from how the answer fits the asked question against the rest of the bank: a story nearer another
    question than this one scores low, one clearly on this question scores high."""
    return round(float(np.clip((reading.margin - OFF_MARGIN + RELEVANCE_SPAN / 2) / RELEVANCE_SPAN, 0.0, 1.0)), 3)


def _pitfalls(misconceptions: list[dict] | None, n_points: int) -> list[dict[str, Any]]:
    found = []
    for m in misconceptions or []:
        if not isinstance(m, dict):
            continue
        index = m.get("key_point")
        if isinstance(index, int) and 0 <= index < n_points and str(m.get("claim") or "").strip():
            found.append({"key_point": index, "claim": str(m["claim"]), "correction": str(m.get("correction") or ""),
                          "why": str(m.get("why") or "")})
    return found


def _pitfall_hit(pitfalls: list[dict[str, Any]], claim_sims: np.ndarray | None, point_sims: np.ndarray,
                 j: int) -> tuple[int, int] | None:
    """(pitfall, sentence row) when a sentence says the bank's wrong claim for point `j` rather than the point."""
    if claim_sims is None:
        return None
    best: tuple[float, int, int] | None = None
    for m, pitfall in enumerate(pitfalls):
        if pitfall["key_point"] != j:
            continue
        row = int(np.argmax(claim_sims[:, m]))
        value = float(claim_sims[row, m])
        if value >= PITFALL_SIM and value >= float(point_sims[row]) + PITFALL_MARGIN and (best is None
                                                                                          or value > best[0]):
            best = (value, m, row)
    return None if best is None else (best[1], best[2])
