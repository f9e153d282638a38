"""Does a chat message ask something? The rule that decides which messages in a help channel
Knowhow looks up earlier lessons for (core.helpchannels). No Slack here, no model: a few lists
of words, so every decision can be explained in one sentence (`Detection.reason`).

A message asks when one of its sentences, after a greeting ("hi all,", "Bonjour à tous,") and
leaving out what is quoted or in code, does one of these:

1. holds a question mark (`?`, `？`, `؟`, or opens with `¿`);
2. opens with a question word ("how", "pourquoi", "wo", "dónde"…) or an inverted auxiliary
   followed by its subject ("can I", "is there", "avez-vous", "kann jemand", "puedo");
3. holds a phrase that asks for help ("does anyone know", "is there a way", "any idea", "help with",
   "need help", "quelqu'un sait", "weiß jemand", "alguien sabe"…);
4. says its writer is stuck ("I can't…", "je n'arrive pas", "ich kann nicht", "no puedo").

It does not ask when it is very short (fewer than MIN_WORDS words: "help", "anyone?", "+1"), when it
opens as an announcement ("Reminder:", "PSA", "FYI", "Rappel :", "Zur Info", "Recordatorio"), or when
every sentence that would ask is thanks or a resolution ("thanks, that worked", "never mind, found
it", "Merci !", "Danke!"), an exclamation ("What a week") or a suggestion put as a question, which is
an answer ("Have you tried restarting it?", "Tu as essayé… ?").

English, French, German and Spanish. Measured on a labelled set of help-channel messages
(bench/data/help_messages.jsonl, bench/question_detection.py); the figures are in that README.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.markup import unescape

MIN_WORDS = 3

_MENTION = re.compile(r"<[@!][^<>]*>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")
_BARE = re.compile(r"<[^<>]*>")
_CODE_BLOCK = re.compile(r"```.*?```", re.S)
_CODE = re.compile(r"`[^`\n]*`")
_EMOJI = re.compile(r":[a-z0-9_+'-]+:")
# Quoted text is someone else's words: a talk titled "What's new?" asks nothing.
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|«[^»\n]*»|„[^“”\n]*[“”]|‘[^’\n]*’')
_SENTENCE = re.compile(r"[^.!?？؟…\n]*(?:[.!?？؟…]+|\n|$)")
_WORD = re.compile(r"[\w'’-]+")

QUESTION_MARKS = ("?", "？", "؟")

# Openings that say hello before the message starts: left out before the first words are read.
GREETINGS = frozenset(
    """hi hey hello hiya heya yo morning evening afternoon good all everyone everybody folks team guys
    people there friends y'all bonjour salut coucou hello tous tout le monde à l'équipe la les hallo
    moin servus zusammen guten morgen tag leute ihr alle hola buenos buenas días dias tardes a todos
    equipo chicos gente""".split()
)

# A sentence that opens with one of these asks when it is followed by anything (question words).
QUESTION_WORDS = frozenset(
    """how what why where when who whom whose which
    comment pourquoi où quand qui quel quelle quels quelles combien
    wie warum wieso weshalb wo wann wer welche welcher welches welchen wieviel wohin woher
    cómo qué dónde cuándo quién quiénes cuál cuáles cuánto cuánta cuántos cuántas""".split()
)
# Exclamations that open like questions: "What a week", "How nice", "Was für ein Tag", "Qué bien".
EXCLAMATIONS = (
    "what a ",
    "what an ",
    "how nice",
    "how cool",
    "how great",
    "was für",
    "qué bien",
    "qué bueno",
    "quel bonheur",
    "wie besprochen",
    "wie gesagt",
    "wie immer",
    "quelle journée",
)

# Auxiliaries that ask when they open a sentence followed by their subject ("can I", "is there").
AUXILIARIES = frozenset(
    """is are am was were do does did can could should would will shall may might must has have had
    isn't aren't doesn't don't didn't can't couldn't won't wouldn't shouldn't
    ist sind war waren kann kannst könnt könnte könnten muss musst müssen darf dürfen hat habt hast
    haben gibt weiß wisst kennt kennst soll sollte sollten würde würdet nutzt braucht
    puedo puedes podemos podéis puede pueden tengo tienes tenemos hay sabes sabéis sabe conocéis
    conoces es está están""".split()
)
# What may follow an auxiliary as its subject. "be" verbs take anything ("Is Grafana down").
SUBJECTS = frozenset(
    """i you we they he she it there this that these those anyone anybody someone somebody everyone
    everybody people my our your their his her its the a an any some
    jemand ihr du ich es man das der die den dem mein meine unser unsere euer eure irgendwer
    irgendjemand einer sie wir er
    alguien alguno alguna algún usted ustedes yo tú vosotros nosotros el la los las mi mis un una
    normal posible
    ist sind kann muss macht""".split()  # the last: German "was ist", "was kann" (what is, what can)
)
ANY_SUBJECT = frozenset({"is", "are", "isn't", "aren't", "ist", "sind", "gibt", "hay"})
# Never a subject: "have a great weekend", "hat sich erledigt", "hay que reiniciar" (one must).
NOT_SUBJECTS = frozenset({"a", "an", "sich", "que"})
ARTICLE_AUXILIARIES = frozenset({"is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would"})

# French inversion: a verb joined to its subject by a hyphen ("avez-vous", "peut-on", "y a-t-il").
_FRENCH_INVERSION = re.compile(r"^\w+-(?:t-)?(?:vous|on|il|elle|ils|elles|je|tu|nous)\b")

# Phrases that ask for help wherever they stand in a sentence.
ASKING_PHRASES = (
    "does anyone know",
    "does anybody know",
    "anyone know",
    "anybody know",
    "anyone else",
    "has anyone",
    "has anybody",
    "is there a way",
    "is there any",
    "any idea",
    "any ideas",
    "any tips",
    "any advice",
    "any recommendation",
    "any suggestion",
    "any pointers",
    "how do i",
    "how can i",
    "how to ",
    "help with",
    "need help",
    "help me",
    "can someone",
    "could someone",
    "can anyone",
    "could anyone",
    "can somebody",
    "looking for someone",
    "not sure where",
    "not sure how",
    "not sure what",
    "wondering if",
    "wondering how",
    "wondering whether",
    "wondering where",
    "trying to figure out",
    "please advise",
    "please help",
    "can i get",
    "what's the best way",
    "want to know",
    "wanna know",
    "like to know",
    "quelqu'un sait",
    "quelqu'un peut",
    "quelqu'un connaît",
    "quelqu'un a",
    "est-ce que",
    "y a-t-il",
    "besoin d'aide",
    "une idée",
    "je cherche quelqu'un",
    "savez-vous",
    "vous savez",
    "comment faire",
    "weiß jemand",
    "kann mir jemand",
    "kennt jemand",
    "hat jemand",
    "gibt es",
    "brauche hilfe",
    "suche jemanden",
    "eine idee",
    "alguien sabe",
    "alguien me puede",
    "alguien puede",
    "alguien conoce",
    "alguien tiene",
    "alguna idea",
    "por qué",
    "necesito ayuda",
    "busco a alguien",
    "sabéis",
    "sabes si",
)

# Phrases of someone stuck: in a help channel, "I can't log in to Workday" asks for help.
STUCK_PHRASES = (
    "i can't",
    "i cannot",
    "i'm unable",
    "i am unable",
    "je n'arrive pas",
    "je ne peux pas",
    "j'arrive pas",
    "ich kann nicht",
    "kann ich nicht",
    "no puedo",
    "no consigo",
)

# A sentence opening with these is thanks or a resolution, not a question ("Thanks! How do I…?"
# still asks in its second sentence).
THANKS = (
    "thanks",
    "thank you",
    "thx",
    "ty",
    "cheers",
    "solved",
    "resolved",
    "fixed",
    "never mind",
    "nevermind",
    "nvm",
    "ignore my",
    "found it",
    "merci",
    "résolu",
    "laissez tomber",
    "c'est bon",
    "danke",
    "gelöst",
    "hat sich erledigt",
    "erledigt",
    "gracias",
    "resuelto",
    "olvidadlo",
    "olvídalo",
)
# A message opening with these announces; it does not ask.
ANNOUNCEMENTS = (
    "reminder",
    "psa",
    "fyi",
    "heads up",
    "heads-up",
    "update:",
    "announcement",
    "new article",
    "rappel",
    "pour info",
    "pour information",
    "annonce",
    "erinnerung",
    "zur info",
    "hinweis",
    "recordatorio",
    "para que lo sepáis",
    "para que lo sepan",
    "aviso",
)
# A suggestion put as a question is an answer: "Have you tried restarting?", "Hast du … probiert?".
SUGGESTIONS = (
    "have you tried",
    "did you try",
    "have you checked",
    "did you check",
    "have you restarted",
    "tu as essayé",
    "as-tu essayé",
    "vous avez essayé",
    "hast du",
    "habt ihr schon",
    "probaste",
    "has probado",
    "¿probaste",
    "¿has probado",
)


@dataclass(frozen=True)
class Detection:
    """Whether a message asks, and why (in words a person reads)."""

    asks: bool
    reason: str


def plain(text: str) -> str:
    """A message as a reader reads it: mentions and emoji left out, links by their label, code
    and quotations set aside (one word each), entities undone."""
    text = _CODE_BLOCK.sub(" code ", text or "")
    text = _CODE.sub(" code ", text)
    text = _MENTION.sub(" ", text)
    text = _CHANNEL.sub(r" \1 ", text)
    text = _LINK.sub(r" \2 ", text)
    text = _BARE.sub(" link ", text)
    text = _EMOJI.sub(" ", unescape(text))
    text = _QUOTED.sub(" quote ", text)
    return unicodedata.normalize("NFC", text).replace("’", "'")


def _words(sentence: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(sentence)]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip(" \t\n,;:-")]


def _without_greeting(sentence: str) -> str:
    """The sentence after any greeting it opens with ("Hi all, how do I…" → "how do I…")."""
    rest = sentence.lstrip()
    while True:
        match = _WORD.match(rest)
        if not match or match.group(0).lower() not in GREETINGS:
            return rest
        rest = rest[match.end() :].lstrip(" ,!:;-—–.\t")


def _opens(sentence: str, openings) -> bool:
    lowered = sentence.lower().lstrip("¡¿ ")
    return any(lowered.startswith(o) and (len(lowered) == len(o) or not lowered[len(o)].isalnum()) for o in openings)


def _asks(sentence: str) -> str | None:
    """Why one sentence (greeting left out) asks, or None."""
    lowered = sentence.lower()
    if any(mark in sentence for mark in QUESTION_MARKS) or sentence.startswith("¿"):
        return "it holds a question mark"
    if lowered.startswith(EXCLAMATIONS):
        return None
    words = _words(sentence)
    if not words:
        return None
    first = words[0]
    if first in QUESTION_WORDS and len(words) > 1:
        return f"it opens with the question word “{first}”"
    if first in AUXILIARIES and len(words) > 1:
        second = words[1]
        # "Is a restart needed", "Can a guest…", but "Have a great weekend" does not ask.
        article = second in ("a", "an") and first in ARTICLE_AUXILIARIES
        if article or (
            second not in NOT_SUBJECTS and (first in ANY_SUBJECT or second in SUBJECTS or _capitalised(sentence, 1))
        ):
            return f"it opens with “{first} {second}”, as a question does"
    if _FRENCH_INVERSION.match(lowered.lstrip("¿ ")):
        return "it opens with an inverted verb (“" + lowered.split()[0] + "”), as a question does"
    for phrase in ASKING_PHRASES:
        if phrase in lowered:
            return f"it asks for help (“{phrase.strip()}”)"
    for phrase in STUCK_PHRASES:
        if phrase in lowered:
            return f"it says someone is stuck (“{phrase}”)"
    return None


def _capitalised(sentence: str, index: int) -> bool:
    """Is the sentence's word at `index` written with a capital (a name: "Is Grafana down")?"""
    words = _WORD.findall(sentence)
    return len(words) > index and words[index][:1].isupper()


def detect(text: str) -> Detection:
    """Does `text` (a message as Slack sends it, mrkdwn) ask something? With the reason."""
    reading = plain(text)
    words = _words(reading)
    if len(words) < MIN_WORDS:
        return Detection(False, f"it is very short (fewer than {MIN_WORDS} words)")
    sentences = _sentences(reading)
    if sentences and _opens(_without_greeting(sentences[0]), ANNOUNCEMENTS):
        return Detection(False, "it opens as an announcement")
    skipped = None
    for sentence in sentences:
        sentence = _without_greeting(sentence)
        if _opens(sentence, THANKS):
            skipped = "it thanks or says the problem is solved"
            continue
        if sentence.lower().lstrip("¿ ").startswith(SUGGESTIONS):
            skipped = "it suggests something, as an answer does"
            continue
        reason = _asks(sentence)
        if reason is not None:
            return Detection(True, reason)
    return Detection(False, skipped or "nothing in it asks")


def asks(text: str) -> bool:
    return detect(text).asks
