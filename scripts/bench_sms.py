"""SMS benchmark: time per POST /sms in process for a realistic mix, and every reply's size."""

from __future__ import annotations

import itertools

from bench import BenchLine, time_calls

from ivr.sms.replies import SEGMENT_BUDGET, reply_sizes
from ivr.sms.whatsapp import answer_recordings, split_messages

# What texters send, roughly as often as they send it: numbers and keywords, paging, the
# other language, questions with typos, sites, and the odd message nobody could read.
MIX = [
    "5",
    "MORE",
    "MORE",
    "SINTOMAS",
    "MAS",
    "what are the symptoms?",
    "tratamento",
    "SITES BREAST",
    "sitios mama",
    "where does cancer spread",
    "MENU",
    "3",
    "HELP",
    "¿Qué es el cáncer metastásico?",
    "new treatments",
    "hello is anyone there",
    "😀",
]
NUMBERS = 50  # texters, so that the mix runs into no rate limit


def run(line: BenchLine) -> None:
    """Print median and p99 ms per SMS request, then the segments of every fixed reply."""
    messages = itertools.cycle(MIX)
    senders = itertools.cycle(f"+1555010{n:04d}" for n in range(NUMBERS))
    sids = itertools.count()

    def one_text() -> None:
        line.post(
            "/sms",
            {"From": next(senders), "Body": next(messages), "MessageSid": f"SM{next(sids)}"},
        )

    median, p99 = time_calls(one_text, repeat=2000, warmup=200)
    print(f"POST /sms, a mix of {len(MIX)} messages: median {median:.3f} ms, p99 {p99:.3f} ms")

    def one_whatsapp() -> None:
        sender = next(senders)
        line.post(
            "/sms",
            {
                "From": f"whatsapp:{sender}",
                "WaId": sender[1:],
                "Body": next(messages),
                "MessageSid": f"SM{next(sids)}",
                "NumMedia": "0",
            },
        )

    median, p99 = time_calls(one_whatsapp, repeat=2000, warmup=200)
    print(f"POST /sms from WhatsApp, the same mix: median {median:.3f} ms, p99 {p99:.3f} ms")
    whatsapp_sizes(line)
    print()
    print(f"{'lang':4}  {'reply':42} {'encoding':8} {'chars':>5} {'segments':>8}")
    for size in reply_sizes(line.app.extensions["ivr"].content):
        budget = SEGMENT_BUDGET[size.language]
        flag = "" if size.ok else f"  OVER BUDGET ({budget})"
        print(
            f"{size.language:4}  {size.name:42} {size.size.encoding:8} {size.size.units:5} "
            f"{size.size.count:8}{flag}"
        )


def whatsapp_sizes(line: BenchLine) -> None:
    """Each answer on WhatsApp: how many messages, the longest, and how many recordings."""
    services = line.app.extensions["ivr"]
    print()
    print(f"{'lang':4}  {'WhatsApp answer':20} {'messages':>8} {'longest':>7} {'recordings':>10}")
    for code, replies in (services.sms.whatsapp or {}).items():
        language = replies.language
        for topic in language.topics:
            messages = split_messages(replies.summaries[topic.id])
            recordings = answer_recordings(language, topic, slow=False)
            urls = (services.catalogue.url(id_, code, slow) for _, id_, slow in recordings)
            played = sum(1 for url in urls if url)
            longest = max(map(len, messages))
            print(f"{code:4}  {topic.id:20} {len(messages):8} {longest:7} {played:10}")
