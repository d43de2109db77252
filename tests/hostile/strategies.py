"""Hypothesis strategies for hostile input: what an attacker, a careless client or a strange
keyboard sends to every form and API field.

Values are short mixes of known-dangerous fragments (markup, script URLs, template syntax,
SQL quotes, spreadsheet formula prefixes, control and bidi characters, emoji) with arbitrary
text, plus a few values beyond each field's length limit. Examples stay small so the whole
package runs in well under a minute per database.
"""

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible in CI: the same examples on every run and machine (derandomize), and nothing
# written to or replayed from a local .hypothesis database, which several test runs on this
# machine would otherwise share. HOSTILE_EXAMPLES=500 digs deeper locally.
hostile_settings = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# For tests whose every example makes many requests (a dozen admin pages, a 600-option page).
few_examples = settings(hostile_settings, max_examples=max(10, hostile_settings.max_examples // 3))

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: flips the text after it

FRAGMENTS = [
    SCRIPT,
    IMG,
    "</textarea><script>alert(2)</script>",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<b>x</b>",
    "{{ request.user }}",
    "{% debug %}",
    "{{7*7}}",
    "' OR '1'='1",
    '"; DROP TABLE reports_report; --',
    "\\",
    "%s %(x)s {0}",
    "&amp; &lt;",
    '=HYPERLINK("http://evil.example","x")',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "Bcc: victim@example.com",
    RLO,
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u2066\u2067\u2068\u2069",  # bidi isolates
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width characters
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic (right-to-left) text
    "\U0001f600\U0001f4a9",  # emoji (astral plane)
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a joined emoji sequence
    "\U0001d54f",  # mathematical double-struck X (astral)
    "e\u0301",  # combining accent
    "\x1b[31m",  # terminal escape
    "\x7f",
    "\x0b\x0c\x1c\x1d\x1e\x1f",  # separators str.strip() treats as space
    "\x00",
]

control_chars = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.just("\x7f")
fragment = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=12),
    control_chars,
)

# Anything a person or program could type into a text field (no lone surrogates: an HTTP form
# body is UTF-8 and cannot carry them; see json_text for the API).
hostile_text = st.lists(fragment, min_size=1, max_size=6).map("".join)


def over_limit(limit: int) -> st.SearchStrategy[str]:
    """Text just past or far past a field's limit, still starting with something nasty."""
    return st.builds(
        lambda head, extra: (head + "x" * (limit + extra))[: limit + extra],
        st.sampled_from([SCRIPT, "=cmd", RLO, "\U0001f600"]),
        st.sampled_from([1, 2, 1000]),
    )


def hostile_field(limit: int) -> st.SearchStrategy[str]:
    return st.one_of(hostile_text, hostile_text, hostile_text, over_limit(limit))


# JSON can spell a lone surrogate ("\ud800"), which no database can store as text.
with_lone_surrogate = st.builds(
    lambda head, surrogate, tail: head + surrogate + tail,
    hostile_text,
    st.sampled_from(["\ud800", "\udfff", "\udbff"]),
    st.text(max_size=4),
)
json_text = st.one_of(hostile_text, with_lone_surrogate)

hostile_emails = st.one_of(
    st.emails(),
    hostile_text,
    st.builds(lambda local, text: f"{local}{text}@example.com", st.just("a"), hostile_text),
    st.sampled_from(
        [
            "a@example.com\r\nBcc: victim@example.com",
            "a@\u202eevil.com",
            "<script>@example.com",
            '"<script>alert(1)</script>"@example.com',
            "a@example.com\x00",
            "x" * 250 + "@example.com",
            " A@Example.COM ",
        ]
    ),
)
