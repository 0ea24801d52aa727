"""A reply's new text apart from what it quotes and from its signature (pure, line based).

Quoted: ">"-prefixed lines (interleaved answers between them stay new text), and everything
from a top-posting header on: "On <date>, <name> wrote:" (also wrapped over two or three lines,
and its French, German, Spanish, Dutch and Portuguese forms), Outlook's "-----Original
Message-----", and an Outlook header block ("From: ..." followed by "Sent:"/"Date:" within a few
lines, optionally after a line of underscores). Forwarded messages ("---------- Forwarded
message ----------") are not quotes: a forwarded lead is the new content.

Signature: from an RFC 3676 "-- " line, else from a common sign-off ("Thanks,", "Best
regards,", "Sent from my iPhone", ...) among the last lines, when what follows it is short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(
    r"^\s*(?:On\s.+\s(?:wrote|writes)"
    r"|Le\s.+\sa\s+écrit"
    r"|Am\s.+\s(?:schrieb|geschrieben)(?:\s.+)?"
    r"|El\s.+\sescribió"
    r"|Op\s.+\sschreef"
    r"|Em\s.+\sescreveu)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|Op|Em)\s", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|De|Von)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Envoyé|Gesendet|Enviado)\s*:\*?\s*\S", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_QUOTED = re.compile(r"^\s*>")
_SIGNATURE_DELIMITER = "-- "
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:thanks|thank you|many thanks|thanks again|cheers|regards|best|best regards|"
    r"kind regards|warm regards|warmly|sincerely|yours truly|respectfully|all the best|"
    r"talk soon|take care)[ \t]*[,.!]?(?:[ \t]*-+[ \t]*\w.*)?"
    r"|sent from my \w.*|get outlook for \w.*|sent from (?:yahoo|mail) .*)\s*$",
    re.IGNORECASE,
)
_SIGN_OFF_WINDOW = 8  # a sign-off counts among the last lines of the new text only
_SIGNATURE_MAX_LINES = 6  # ... and when at most this many non-empty lines follow it


@dataclass(frozen=True, slots=True)
class ReplyParts:
    new_text: str
    quoted_text: str
    signature: str


def _top_post_start(lines: list[str]) -> int | None:
    """Index of the first line of a top-posting header (all after it is quoted), or None."""
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _ATTRIBUTION.match(line):
            return i
        if _ATTRIBUTION_START.match(line) and len(line) < 300:
            joined = line
            for extra in lines[i + 1 : i + 3]:
                joined = f"{joined} {extra.strip()}"
                if _ATTRIBUTION.match(joined):
                    return i
        if _HEADER_FROM.match(line) and any(_HEADER_SENT.match(n) for n in lines[i + 1 : i + 5]):
            return i - 1 if i and _UNDERSCORES.match(lines[i - 1]) else i
    return None


def _signature_start(lines: list[str]) -> int | None:
    for i in range(len(lines)):
        if lines[i] == _SIGNATURE_DELIMITER or (
            lines[i] == "--" and len(lines) - i <= _SIGNATURE_MAX_LINES + 1
        ):
            return i
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content[-_SIGN_OFF_WINDOW:]:
        line = lines[i].strip()
        # "Thanks, see you Monday at the house" is text, not a sign-off: the line must be short.
        short = len(line) <= 40 or line.lower().startswith("sent from")
        if short and _SIGN_OFF.match(line) and sum(j > i for j in content) <= _SIGNATURE_MAX_LINES:
            return i
    return None


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def split_reply(text: str) -> ReplyParts:
    """``text`` as new text, quoted text and signature (joined back they hold every line)."""
    lines = text.splitlines()
    quoted: list[str] = []
    top = _top_post_start(lines)
    if top is not None:
        quoted_tail = lines[top:]
        lines = lines[:top]
    else:
        quoted_tail = []
    new: list[str] = []
    for i, line in enumerate(lines):
        if _QUOTED.match(line):
            # An attribution line right above a quote belongs to the quote.
            if new and not quoted and new[-1].strip().endswith(":") and len(new[-1]) < 300:
                quoted.append(new.pop())
            quoted.append(line)
        elif not line.strip() and i + 1 < len(lines) and _QUOTED.match(lines[i + 1]) and quoted:
            quoted.append(line)
        else:
            new.append(line)
    quoted.extend(quoted_tail)
    signature: list[str] = []
    start = _signature_start(new)
    if start is not None:
        signature = new[start:]
        new = new[:start]
    return ReplyParts(_join(new), _join(quoted), _join(signature))
